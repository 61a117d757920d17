// qmailctl: Life with qmail's control script (qmailctl-script-dt70, with its POP3 additions)
// for the supervised qmail services, and `setup`, which installs the services from
// service-templates/ the way LWQ section 2.8 does by hand. See docs/qmailctl.md.
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Text;
using Toolkit;

static class Qmailctl
{
    static readonly Output Out = new(1, 4096);
    static string serviceDir = "/service", qmailDir = "/var/qmail", rules = "/etc/tcp.smtp", lockDir = "/var/lock/subsys";
    static string bin;

    const string Usage = "{start|stop|restart|doqueue|flush|reload|stat|pause|cont|cdb|queue|help}";
    const string HelpText =
        "stop -- stops mail service (smtp connections refused, nothing goes out)\n" +
        "start -- starts mail service (smtp connection accepted, mail can go out)\n" +
        "pause -- temporarily stops mail service (connections accepted, nothing leaves)\n" +
        "cont -- continues paused mail service\n" +
        "stat -- displays status of mail service\n" +
        "cdb -- rebuild the tcpserver cdb file for smtp\n" +
        "restart -- stops and restarts smtp, sends qmail-send a TERM & restarts it\n" +
        "doqueue -- schedules queued messages for immediate delivery\n" +
        "reload -- sends qmail-send HUP, rereading locals and virtualdomains\n" +
        "queue -- shows status of queue\n" +
        "alrm -- same as doqueue\n" +
        "flush -- same as doqueue\n" +
        "hup -- same as reload\n";

    internal static int Main()
    {
        var args = Array.ConvertAll(Args.Argv[1..], a => Encoding.UTF8.GetString(a));
        // The tools are the links beside the one qmailctl was run as (/command, /usr/local/bin).
        bin = Path.GetDirectoryName(Path.GetFullPath(Encoding.UTF8.GetString(Args.ExecutedAs)));
        var root = new RootCommand("Control the supervised qmail services (Life with qmail's qmailctl).");
        var service = Location(root, "--service", "/service", "the service directory svscan watches");
        var qmail = Location(root, "--qmail", "/var/qmail", "qmail's home: bin/, control/, supervise/");
        var rulesFile = Location(root, "--rules", "/etc/tcp.smtp", "the SMTP rules; compiled to RULES.cdb");
        var lockOption = Location(root, "--lock-dir", "/var/lock/subsys", "where `start` leaves its lock file");

        void Add(string name, string help, Func<int> action, params string[] aliases)
        {
            var c = new Command(name, help);
            foreach (var a in aliases) c.Aliases.Add(a);
            c.SetAction(r =>
            {
                serviceDir = r.GetValue(service); qmailDir = r.GetValue(qmail);
                rules = r.GetValue(rulesFile); lockDir = r.GetValue(lockOption);
                int code = action();
                Out.Flush();
                return code;
            });
            root.Subcommands.Add(c);
        }
        Add("start", "starts mail service (smtp connection accepted, mail can go out)", Start);
        Add("stop", "stops mail service (smtp connections refused, nothing goes out)", Stop);
        Add("stat", "displays status of mail service", Stat);
        Add("doqueue", "schedules queued messages for immediate delivery", Doqueue, "alrm", "flush");
        Add("queue", "shows status of queue", Queue);
        Add("reload", "sends qmail-send HUP, rereading locals and virtualdomains", Reload, "hup");
        Add("pause", "temporarily stops mail service (connections accepted, nothing leaves)", Pause);
        Add("cont", "continues paused mail service", Cont);
        Add("restart", "stops and restarts smtp, sends qmail-send a TERM & restarts it", Restart);
        Add("cdb", "rebuild the tcpserver cdb file for smtp", Cdb);
        Add("help", "this list", () => { Say(HelpText.TrimEnd('\n')); return 0; });
        QmailSetup.Register(root, service, qmail, rulesFile, bin);

        var parsed = root.Parse(args);
        bool builtinHelp = Array.Exists(args, a => a is "-h" or "--help" or "-?" or "--version");
        if (!builtinHelp && (parsed.Errors.Count > 0 || parsed.CommandResult.Command == root))
        {
            Say("Usage: " + Encoding.UTF8.GetString(Args.Argv[0]) + " " + Usage);
            Out.Flush();
            return 1;
        }
        return parsed.Invoke();
    }

    static Option<string> Location(RootCommand root, string name, string value, string help)
    {
        var o = new Option<string>(name) { Description = help, DefaultValueFactory = _ => value, Recursive = true };
        root.Options.Add(o);
        return o;
    }

    static string Svc(string name) => Path.Combine(serviceDir, name);
    static bool Pop3Installed => Directory.Exists(Svc("qmail-pop3d"));

    static void Say(string line)
    {
        Out.Put(Encoding.UTF8.GetBytes(line));
        Out.Put((byte)'\n');
    }

    static int Start()
    {
        Say("Starting qmail");
        foreach (var name in new[] { "qmail-send", "qmail-smtpd" }) StartOne(name);
        if (Pop3Installed) StartOne("qmail-pop3d");
        if (Directory.Exists(lockDir)) File.WriteAllBytes(Path.Combine(lockDir, "qmail"), Array.Empty<byte>());
        return 0;
    }

    static void StartOne(string name)
    {
        if (Tool("svok", Svc(name)) == 0) SvcWithLog("-u", name);
        else Say(name + " supervise not running");
    }

    static int Stop()
    {
        Say("Stopping qmail...");
        Say("  qmail-smtpd");
        SvcWithLog("-d", "qmail-smtpd");
        Say("  qmail-send");
        SvcWithLog("-d", "qmail-send");
        if (Pop3Installed)
        {
            Say("  qmail-pop3d");
            SvcWithLog("-d", "qmail-pop3d");
        }
        var lockFile = Path.Combine(lockDir, "qmail");
        if (File.Exists(lockFile)) File.Delete(lockFile);
        return 0;
    }

    static int Stat()
    {
        var names = new List<string> { "qmail-send", "qmail-smtpd" };
        if (Pop3Installed) names.Add("qmail-pop3d");
        foreach (var name in names)
        {
            Tool("svstat", Svc(name));
            Tool("svstat", Svc(name) + "/log");
        }
        Qmail("qmail-qstat");
        return 0;
    }

    static int Doqueue()
    {
        Say("Flushing timeout table and sending ALRM signal to qmail-send.");
        Qmail("qmail-tcpok");
        Tool("svc", "-a", Svc("qmail-send"));
        return 0;
    }

    static int Queue()
    {
        Qmail("qmail-qstat");
        Qmail("qmail-qread");
        return 0;
    }

    static int Reload()
    {
        Say("Sending HUP signal to qmail-send.");
        Tool("svc", "-h", Svc("qmail-send"));
        return 0;
    }

    static int Pause() => Each("p", "Pausing ");
    static int Cont() => Each("c", "Continuing ");

    static int Each(string letter, string verb)
    {
        var names = new List<string> { "qmail-send", "qmail-smtpd" };
        if (Pop3Installed) names.Add("qmail-pop3d");
        foreach (var name in names)
        {
            Say(verb + name);
            Tool("svc", "-" + letter, Svc(name));
        }
        return 0;
    }

    static int Restart()
    {
        Say("Restarting qmail:");
        Say("* Stopping qmail-smtpd.");
        SvcWithLog("-d", "qmail-smtpd");
        Say("* Sending qmail-send SIGTERM and restarting.");
        SvcWithLog("-t", "qmail-send");
        Say("* Restarting qmail-smtpd.");
        SvcWithLog("-u", "qmail-smtpd");
        if (Pop3Installed)
        {
            Say("* Restarting qmail-pop3d.");
            SvcWithLog("-t", "qmail-pop3d");
        }
        return 0;
    }

    /// <summary>tcprules RULES.cdb RULES.tmp &lt; RULES; chmod 644 RULES.cdb. Unlike LWQ's script it
    /// does not claim success when tcprules failed: it exits 111.</summary>
    static int Cdb()
    {
        int code = Compile(bin, rules);
        if (code != 0) return 111;
        Say("Reloaded " + rules + ".");
        return 0;
    }

    /// <summary>Compiles a rules file with the toolkit's tcprules; 0 on success.</summary>
    public static int Compile(string binDir, string rulesText)
    {
        int fd = Files.OpenRead(Encoding.UTF8.GetBytes(rulesText));
        if (fd == -1)
        {
            Out.Flush();
            Errors.WarnSys(Native.Errno, "qmailctl: warning: "u8, "unable to read "u8, Encoding.UTF8.GetBytes(rulesText), ": "u8);
            return 111;
        }
        int code = RunProgram(Path.Combine(binDir, "tcprules"), fd, rulesText + ".cdb", rulesText + ".tmp");
        Native.close(fd);
        if (code == 0) File.SetUnixFileMode(rulesText + ".cdb", (UnixFileMode)Mode.Rw_r__r__);
        return code;
    }

    static void SvcWithLog(string option, string name) => Tool("svc", option, Svc(name), Svc(name) + "/log");

    static int Tool(string name, params string[] args) => RunProgram(Path.Combine(bin, name), -1, args);
    static int Qmail(string name, params string[] args) => RunProgram(Path.Combine(qmailDir, "bin", name), -1, args);

    /// <summary>Runs a program with our stdout and stderr (stdin from fd when given) and waits;
    /// an exec failure is reported as a warning, not a crash.</summary>
    public static int RunProgram(string path, int stdinFd, params string[] args)
    {
        Out.Flush();
        var argv = new byte[args.Length + 1][];
        argv[0] = Encoding.UTF8.GetBytes(path);
        for (int i = 0; i < args.Length; i++) argv[i + 1] = Encoding.UTF8.GetBytes(args[i]);
        int pid = Exec.Spawn(argv, null, stdinFd >= 0 ? [FdAction.Dup2(stdinFd, 0)] : ReadOnlySpan<FdAction>.Empty, out int execError);
        if (pid < 0)
        {
            Errors.WarnSys(-pid, "qmailctl: warning: "u8, "unable to fork: "u8);
            return 111;
        }
        int status = Exec.WaitPid(pid);
        if (execError != 0)
        {
            Errors.WarnSys(execError, "qmailctl: warning: "u8, "unable to run "u8, argv[0], ": "u8);
            return 111;
        }
        return WaitStatus.Crashed(status) ? 111 : WaitStatus.ExitCode(status);
    }
}
