// The one executable holding every command. Each command is a link to it, and the name the
// program was executed under picks the command: the kernel's AT_EXECFN, the path given to
// execve (a link keeps its own name there), never argv[0], which `argv0` and run scripts set to
// anything. An unknown name is a usage error.
using System.Text;
using Toolkit;

static unsafe class Multicall
{
    readonly struct Command(string name, delegate*<int> main)
    {
        public readonly string Name = name;
        public readonly delegate*<int> Main = main;
    }

    static readonly Command[] Commands =
    [
        new("addcr", &Addcr.Main), new("argv0", &Argv0.Main), new("cdbdump", &Cdbdump.Main),
        new("cdbget", &Cdbget.Main), new("cdbmake", &Cdbmake.Main), new("delcr", &Delcr.Main),
        new("envdir", &Envdir.Main), new("envuidgid", &Envuidgid.Main), new("fghack", &Fghack.Main),
        new("fixcrio", &Fixcrio.Main), new("mconnect-io", &MconnectIo.Main),
        new("multilog", &Multilog.Main), new("pgrphack", &Pgrphack.Main), new("rblsmtpd", &Rblsmtpd.Main),
        new("readproctitle", &Readproctitle.Main), new("recordio", &Recordio.Main),
        new("setlock", &Setlock.Main), new("setuidgid", &Setuidgid.Main),
        new("softlimit", &Softlimit.Main), new("supervise", &Supervise.Main), new("svc", &Svc.Main),
        new("svok", &Svok.Main), new("svscan", &Svscan.Main), new("svstat", &Svstat.Main),
        new("svwait", &Svwait.Main),
        new("tai64n", &Tai64n.Main), new("tai64nlocal", &Tai64nlocal.Main),
        new("tcpclient", &Tcpclient.Main), new("tcprules", &Tcprules.Main),
        new("tcprulescheck", &Tcprulescheck.Main), new("tcpserver", &Tcpserver.Main),
    ];

    static int Main()
    {
        var path = Args.ExecutedAs;
        var name = Encoding.UTF8.GetString(path.Slice(path.LastIndexOf((byte)'/') + 1));
        foreach (var c in Commands)
            if (c.Name == name) return c.Main();

        var usage = new Output(2, 1024);
        usage.Put("toolkit: usage: run as one of its commands, through a link of that name:"u8);
        foreach (var c in Commands) { usage.Put(" "u8); usage.Put(Encoding.UTF8.GetBytes(c.Name)); }
        usage.Put("\ntoolkit: fatal: not a command: "u8);
        usage.Put(path);
        usage.Put("\n"u8);
        usage.Flush();
        Errors.Exit(100);
        return 100;
    }
}
