/** Types of the `piston-client` package (it ships none), as far as the compatibility tests use it. */
declare module 'piston-client' {
  export interface PistonClientFile {
    name?: string;
    content: string;
    encoding?: string;
  }
  export interface PistonExecuteConfig {
    language?: string;
    version?: string;
    files?: PistonClientFile[];
    stdin?: string;
    args?: string[];
    compileTimeout?: number;
    runTimeout?: number;
    compileMemoryLimit?: number;
    runMemoryLimit?: number;
  }
  export interface PistonClient {
    runtimes(): Promise<unknown>;
    execute(language: string, code: string, config?: PistonExecuteConfig): Promise<unknown>;
    execute(config: PistonExecuteConfig): Promise<unknown>;
  }
  export function piston(options?: { server?: string }): PistonClient;
  export default piston;
}
