// svscan [DIR]: every 5 seconds, start `supervise NAME` for each subdirectory NAME of DIR
// (default .) that has none running, and `supervise log` in NAME when NAME/log exists, with
// one pipe from the service's output to the log's input held open by svscan for as long as
// the pair lives. Services are known by device and inode; names starting with "." are
// skipped. Between scans svscan sleeps.
using System.Collections.Generic;
using Toolkit;

static class Svscan
{
    static ReadOnlySpan<byte> Fatal => "svscan: fatal: "u8;
    static ReadOnlySpan<byte> Warning => "svscan: warning: "u8;
    const int MaxServices = 1000;

    sealed class Service
    {
        public ulong Dev, Ino;
        public bool Active, HasLog;
        public int Pid, LogPid;
        public int PipeRead, PipeWrite;
    }

    static readonly List<Service> services = new();
    static readonly byte[][] LogArgv = ["supervise"u8.ToArray(), "log"u8.ToArray()];

    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length > 1 && Files.Chdir(argv[1]) == -1)
            Errors.DieSys(111, Native.Errno, Fatal, "unable to chdir to "u8, argv[1], ": "u8);
        for (;;)
        {
            Scan();
            Sleep.Seconds(5);
        }
    }

    static void Scan()
    {
        int r;
        while ((r = Exec.WaitNoHang(out _)) > 0)
        {
            foreach (var s in services)
            {
                if (s.Pid == r) { s.Pid = 0; break; }
                if (s.LogPid == r) { s.LogPid = 0; break; }
            }
        }
        foreach (var s in services) s.Active = false;

        using (var dir = Dir.Open("."u8))
        {
            if (dir == null) { Errors.WarnSys(Native.Errno, Warning, "unable to read directory: "u8); return; }
            while (dir.Next(out var name)) Start(name.ToArray());
            if (dir.Errno != 0) { Errors.WarnSys(dir.Errno, Warning, "unable to read directory: "u8); return; }
        }

        for (int i = 0; i < services.Count;)
        {
            var s = services[i];
            if (!s.Active && s.Pid == 0 && s.LogPid == 0)
            {
                if (s.HasLog) { Native.close(s.PipeRead); Native.close(s.PipeWrite); }
                services[i] = services[^1];
                services.RemoveAt(services.Count - 1);
                continue;
            }
            i++;
        }
    }

    static void Start(byte[] name)
    {
        if (name.Length == 0 || name[0] == '.') return;
        if (Files.Stat(name, out var st) == -1) { Errors.WarnSys(Native.Errno, Warning, "unable to stat "u8, name, ": "u8); return; }
        if (!st.IsDirectory) return;

        Service s = null;
        foreach (var t in services)
            if (t.Ino == st.Ino && t.Dev == st.Dev) { s = t; break; }
        if (s == null)
        {
            if (services.Count >= MaxServices)
            {
                Errors.Warn(Warning, "unable to start "u8, name, ": running too many services"u8);
                return;
            }
            s = new Service { Dev = st.Dev, Ino = st.Ino };
            if (name.Length <= 255)
            {
                byte[] log = [.. name, .. "/log"u8];
                if (Files.Stat(log, out _) == 0) s.HasLog = true;
                else if (Native.Errno != Native.ENOENT)
                {
                    Errors.WarnSys(Native.Errno, Warning, "unable to stat "u8, name, "/log: "u8);
                    return;
                }
            }
            if (s.HasLog)
            {
                if (!Sys.Pipe(out s.PipeRead, out s.PipeWrite))
                {
                    Errors.WarnSys(Native.Errno, Warning, "unable to create pipe for "u8, name, ": "u8);
                    return;
                }
            }
            services.Add(s);
        }
        s.Active = true;

        if (s.Pid == 0)
        {
            ReadOnlySpan<FdAction> actions = s.HasLog ? [FdAction.Dup2(s.PipeWrite, 1)] : default;
            int child = Exec.Spawn(["supervise"u8.ToArray(), name], null, actions, out int execError);
            if (child < 0) { Errors.WarnSys(-child, Warning, "unable to fork for "u8, name, ": "u8); return; }
            if (execError != 0) Errors.WarnSys(execError, Warning, "unable to start supervise "u8, name, ": "u8);
            s.Pid = child;
        }
        if (s.HasLog && s.LogPid == 0)
        {
            int child = Exec.Spawn(LogArgv, null, [FdAction.Dup2(s.PipeRead, 0)], out int execError, dir: name);
            if (child < 0) { Errors.WarnSys(-child, Warning, "unable to fork for "u8, name, "/log: "u8); return; }
            if (execError < 0) Errors.WarnSys(-execError, Warning, "unable to switch to "u8, name, ": "u8);
            else if (execError != 0) Errors.WarnSys(execError, Warning, "unable to start "u8, name, "/log: "u8);
            s.LogPid = child;
        }
    }
}
