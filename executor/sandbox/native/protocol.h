/*
 * Wire protocol between the executor (Node) and remcode-sandboxd, over the helper's stdin and stdout.
 * Every frame is: u32 little-endian length of what follows, u8 type, payload. Integers are little-endian.
 * Keep in sync with executor/sandbox/protocol.ts.
 */
#ifndef REMCODE_PROTOCOL_H
#define REMCODE_PROTOCOL_H

/* Node -> helper */
#define REQ_WORKSPACE 'W' /* u64 size_bytes: replace the workspace with a fresh tmpfs */
#define REQ_FILE 'F'      /* u32 mode, u32 path_len, path, content: place one file (before the first run) */
#define REQ_RUN 'R'       /* TLV fields (TAG_*), see below */
#define REQ_CANCEL 'C'    /* no payload: kill the current run */
#define REQ_SNAPSHOT 'S'  /* u64 max_bytes: stream back every regular file of the workspace */
#define REQ_RELEASE 'X'   /* no payload: unmount the workspace */
#define REQ_WARM 'Z'      /* TAG_ARG and TAG_ENV fields: start a warm interpreter (see zygote.c); none: stop it */

/* helper -> Node */
#define RES_READY 'Y'  /* u8 cgroup version (1 or 2), u8 loopback_up */
#define RES_OK 'K'     /* no payload */
#define RES_ERROR 'E'  /* u8 code (ERR_*), message */
#define RES_OUTPUT 'O' /* u8 stream (1 stdout, 2 stderr), bytes */
#define RES_DONE 'D'   /* struct done_payload, then the error message, if any */
#define RES_FILE 'F'   /* u32 mode, u32 path_len, path, content: one file of a snapshot */

#define ERR_INVALID 1  /* the request was malformed or not allowed now */
#define ERR_TOO_LARGE 2 /* a size cap was exceeded */
#define ERR_SYSTEM 3   /* a system call failed on the host side */

/* RUN fields: u8 tag, u32 length, value. Numbers are u64. */
#define TAG_ARG 1
#define TAG_ENV 2
#define TAG_CWD 3
#define TAG_STDIN 4
#define TAG_NEXT 5 /* empty: another run of the same job follows this one (see handle_run) */
#define TAG_CPU_MS 10
#define TAG_WALL_MS 11
#define TAG_MEMORY 12
#define TAG_PROCESSES 13
#define TAG_OUTPUT 14
#define TAG_FILE_SIZE 15
#define TAG_OPEN_FILES 16
#define TAG_STACK 17
#define TAG_TMP 18

/* Why the helper ended a run before its main process exited by itself. */
#define KILL_NONE 0
#define KILL_CPU 1
#define KILL_WALL 2
#define KILL_OUTPUT 3
#define KILL_CANCEL 4
#define KILL_INTERNAL 5

/* How the main process ended. */
#define END_EXITED 0
#define END_SIGNALED 1
#define END_UNKNOWN 2 /* killed with the whole run before it reported */
#define END_EXEC_FAILED 3 /* execve failed; errno in `code` */
#define END_CWD_FAILED 4 /* the working directory could not be entered safely; errno in `code` */

#define DONE_PAYLOAD_SIZE (4 + 4 + 4 + 8 + 8 + 8 + 8 + 1 + 1 + 1) /* ... truncation flags, warm start */

#endif
