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

    # Every collection writes to the header of each object it walks, and a forked page that is written
    # is copied. Unfrozen, the program's full collections (one runs at exit) would walk the whole start-up
    # heap and copy most of it: about a quarter of a warm hello world's CPU time. Frozen objects are left
    # out of collections; everything made after the fork, the program's __main__ included, is collected
    # as usual.
    had_gc = 'gc' in sys.modules
    import gc

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
            import atexit
            import signal

            if 'threading' in sys.modules:
                sys.modules['threading']._shutdown()
            atexit._run_exitfuncs()
            for stream_object in (sys.stdout, sys.stderr):
                try:
                    stream_object.flush()
                except Exception:
                    pass
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        raise SystemExit(1)


_remcode_warm()
