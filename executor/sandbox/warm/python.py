# Start-up code of the warm Python interpreter, run by the sandbox helper as `python3 -c <this file>
# LIBRARY OPTIONS...` with exactly the environment Python runs get. See docs/sandbox.md, "Warm starts".
#
# Everything lives inside one function, whose name the program's __main__ leaves out, so that it holds
# exactly what `python3 main.py` would give it. From rc_warm_serve on, this
# process only clones boxes; the call returns in a program's process alone, after the sandbox has put it
# in the state execve would have (descriptors, limits, credentials, seccomp filter, working directory).


def _remcode_warm():
    import sys

    # -c put the working directory first on sys.path; nothing may be imported from there as root.
    if sys.path and sys.path[0] == '':
        del sys.path[0]

    import ctypes
    import os
    import zipimport

    class Program(ctypes.Structure):
        _fields_ = [('argc', ctypes.c_uint32), ('argv', ctypes.POINTER(ctypes.c_char_p))]

    # PyDLL: the GIL stays held across the call, so nothing else of the interpreter runs in between.
    library = ctypes.PyDLL(sys.argv[1])
    serve = library.rc_warm_serve
    serve.restype = ctypes.POINTER(Program)
    serve.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    options = [b'remcode-warm'] + [os.fsencode(arg) for arg in sys.argv[2:]]
    c_options = (ctypes.c_char_p * len(options))(*options)

    # Everything the program will need is looked up now: an interpreter that lacks any of it fails here,
    # and the helper starts its runs cold, instead of failing a program.
    api = ctypes.pythonapi
    before_fork = api.PyOS_BeforeFork
    after_fork = api.PyOS_AfterFork_Child
    for hook in (before_fork, after_fork):
        hook.restype = None
        hook.argtypes = []
    fopen = api.fopen
    fopen.restype = ctypes.c_void_p
    fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    run = api.PyRun_SimpleFileExFlags
    run.restype = ctypes.c_int
    run.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p]
    try:
        # Python 3.11 keeps it here; later versions moved it out of reach (see below).
        keyboard_interrupt = ctypes.c_int.in_dll(api, '_Py_UnhandledKeyboardInterrupt')
    except ValueError:
        keyboard_interrupt = None
    exit_process = api.exit
    exit_process.restype = None
    exit_process.argtypes = [ctypes.c_int]
    had_atexit = 'atexit' in sys.modules
    import atexit
    from _weakref import ref as weakref

    ModuleType = type(sys)
    # What the interpreter's exit releases first, and the streams it puts back (see finish).
    SYS_DELETES = ('path', 'argv', 'ps1', 'ps2', 'last_type', 'last_value', 'last_traceback', 'path_hooks',
                   'path_importer_cache', 'meta_path', '__interactive_hook__')
    SYS_FILES = (('stdin', '__stdin__'), ('stdout', '__stdout__'), ('stderr', '__stderr__'))

    if not had_atexit:
        del sys.modules['atexit']

    had_gc = 'gc' in sys.modules
    import gc

    # The names each start-up module held, so that the program's exit can tell what the program added
    # (see finish below). Holding the module keeps its id from being reused by one of the program's.
    startup_modules = {
        id(module): (module, frozenset(module.__dict__))
        for module in sys.modules.values()
        if isinstance(getattr(module, '__dict__', None), dict)
    }

    def clear_namespace(namespace, keys):
        # As the interpreter clears a module at exit: names with one leading underscore first, then
        # every other name but __builtins__, each set to None in place.
        for single_underscore_pass in (True, False):
            for key in keys:
                if not isinstance(key, str) or key == '__builtins__' or namespace.get(key) is None:
                    continue
                if not single_underscore_pass or (key[:1] == '_' and key[1:2] != '_'):
                    namespace[key] = None

    def flush_standard_streams():
        # What the interpreter's exit flushes, in its order; a failure is left to the interpreter itself.
        for standard_stream in (sys.stdout, sys.stderr):
            if standard_stream is None:
                continue
            try:
                closed = standard_stream.closed
            except Exception:
                closed = False
            if not closed:
                standard_stream.flush()

    def end_threads():
        threading = sys.modules.get('threading')
        if threading is not None:
            threading._shutdown()

    def delete_special_names():
        # Values a program often leaves in sys and builtins, released first, as the interpreter does.
        builtins_namespace = sys.modules['builtins'].__dict__
        builtins_namespace['_'] = None
        for name in SYS_DELETES:
            sys.__dict__[name] = None
        for name, original in SYS_FILES:
            sys.__dict__[name] = sys.__dict__.get(original)

    def remove_program_modules():
        # The interpreter's exit sets every entry of sys.modules to None and lets collection free what
        # nothing else holds. Here only the program's modules are removed, and start-up modules are
        # remembered where the program added names to them. Returned in import order.
        left = []
        for name, module in list(sys.modules.items()):
            if not isinstance(module, ModuleType):
                continue
            startup = startup_modules.get(id(module))
            if startup is None:
                left.append((weakref(module), None))
                sys.modules[name] = None
            elif len(module.__dict__) != len(startup[1]):
                # Only a module whose name count changed is looked through: reading every start-up
                # namespace would touch (and copy) the pages of all their names.
                left.append((weakref(module), [key for key in module.__dict__ if key not in startup[1]]))
        return left

    def clear_left(left):
        # Modules that survived the collection are cleared in reverse import order.
        for reference, added_names in reversed(left):
            module = reference()
            if module is not None:
                namespace = module.__dict__
                clear_namespace(namespace, list(namespace) if added_names is None else added_names)

    def finish(status):
        # Ends the program as the interpreter's own exit would, step by step in the same order, for
        # everything the program made: non-daemon threads, the standard streams, a collection, then the
        # program's modules removed and cleared, so the finalizers of its objects run. What it skips is
        # tearing down the start-up interpreter: in a forked copy that writes to nearly every inherited
        # page, and each write copies one; it was most of a warm hello world's CPU time. Anything
        # unusual (a stream that cannot be flushed) is left to the interpreter's own exit, which
        # reports it in its own words. So are atexit callbacks: called from here, an error in one
        # would be reported with a frame of this code (logging and multiprocessing register one).
        try:
            end_threads()
            if atexit._ncallbacks() > 0:
                raise SystemExit(status)
            flush_standard_streams()
            if gc.isenabled():
                gc.collect()
            delete_special_names()
            left = remove_program_modules()
            gc.collect()
            clear_left(left)
            del left
            gc.collect()
            flush_standard_streams()
        except BaseException:
            raise SystemExit(status)
        exit_process(status)

    # Every collection writes to the header of each object it walks, and a forked page that is written
    # is copied. Unfrozen, the program's full collections (one runs at exit) would walk the whole start-up
    # heap and copy most of it: about a quarter of a warm hello world's CPU time. Frozen objects are left
    # out of collections; everything made after the fork, the program's __main__ included, is collected
    # as usual.
    gc.freeze()
    if not had_gc:
        del sys.modules['gc']

    # Every program is forked (twice, in C) from this state, exactly as os.fork() forks: the
    # interpreter's locks taken here, then released in the child by PyOS_AfterFork_Child. This process
    # never runs Python again, so it never needs them back.
    before_fork()
    program = serve(3, len(options), c_options).contents

    # Here we are the program: pid 2 of a fresh box, forked from a copy of this interpreter.
    after_fork()
    argv = [os.fsdecode(program.argv[i]) for i in range(program.argc)]
    script = argv[1]

    def run_cold():
        # Whatever this start-up does not reproduce exactly is left to a real start of the interpreter.
        os.execvp(argv[0], argv)

    # Python itself runs a directory or a zip archive through its __main__.py, and reports a file it
    # cannot open in its own words: all of that is left to a cold start.
    try:
        if not os.path.isfile(script):
            run_cold()
        try:
            zipimport.zipimporter(script)
            run_cold()
        except zipimport.ZipImportError:
            pass
    except OSError:
        run_cold()

    # A __main__ of the program's own, made here after the fork so that it is not frozen: frozen globals
    # would never be collected, and their finalizers would not run at exit as a cold start's do. It holds
    # what the start-up one held, in the same order, less this function.
    startup_main = sys.modules['__main__']
    main = type(sys)('__main__')
    for key, value in startup_main.__dict__.items():
        if key != '_remcode_warm':
            main.__dict__[key] = value
    main.__dict__['__annotations__'] = {}
    sys.modules['__main__'] = main
    # Nothing but sys.modules may hold it, or its exit would differ (see finish).
    del main, startup_main
    sys.argv = argv[1:]
    sys.orig_argv = argv
    sys.path.insert(0, os.path.dirname(os.path.realpath(script)))

    path = os.fsencode(os.path.abspath(script))
    stream = fopen(path, b'rbe')
    if not stream:
        run_cold()

    # The very function `python3 main.py` ends up in: it sets __file__, __cached__ and __loader__, runs
    # the file in __main__, prints an uncaught exception with only the program's frames, and exits the
    # process itself on SystemExit.
    if run(stream, path, 1, None) != 0:
        # An uncaught exception, already printed. A cold interpreter exits with status 1 then, except
        # after KeyboardInterrupt: it shuts down and kills itself with SIGINT, so its parent sees that.
        # Without the flag (Python 3.12 and later) the exit status stays 1.
        if keyboard_interrupt is not None and keyboard_interrupt.value:
            import signal

            end_threads()
            atexit._run_exitfuncs()
            for stream_object in (sys.stdout, sys.stderr):
                try:
                    stream_object.flush()
                except Exception:
                    pass
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        finish(1)
    finish(0)


_remcode_warm()
