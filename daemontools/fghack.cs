// fghack CHILD...: run CHILD with 30 extra descriptors on a pipe and wait until every
// process holding them has closed them, so a daemon that forks into the background is
// still supervised. Exits with CHILD's exit code (111 "child crashed" on a signal).
using Toolkit;

static class Fghack
{
    static ReadOnlySpan<byte> Fatal => "fghack: fatal: "u8;

    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 2) Errors.Die(100, "fghack: usage: fghack child"u8);
        if (!Sys.Pipe(out int pipeRead, out int pipeWrite)) Errors.DieSys(111, Native.Errno, Fatal, "unable to create pipe: "u8);
        // As in the C fghack: the read end closed, the write end and 30 copies of it open.
        int pid = Exec.Spawn(argv[1..], null,
            [FdAction.Close(pipeRead), FdAction.Dup2(pipeWrite, pipeWrite), FdAction.DupRepeat(pipeWrite, 30)],
            out int execError);
        if (pid < 0) Errors.DieSys(111, -pid, Fatal, "unable to fork: "u8);
        if (execError != 0) Errors.WarnSys(execError, Fatal, "unable to run "u8, argv[1], ": "u8);
        Native.close(pipeWrite);
        Span<byte> buf = stackalloc byte[1024];
        while (Sys.Read(pipeRead, buf) > 0) { }
        int status = Exec.WaitPid(pid);
        if (status == -1) Errors.DieSys(111, Native.Errno, Fatal, "wait failed: "u8);
        if (WaitStatus.Crashed(status)) Errors.Die(111, Fatal, "child crashed"u8);
        Errors.Exit(WaitStatus.ExitCode(status));
        return 0;
    }
}
