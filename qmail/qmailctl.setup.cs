// qmailctl setup: Life with qmail's installation steps for the services (LWQ 2.8.2-2.8.4, 5.2.1)
// done by one idempotent command: run scripts from service-templates/ (built into qmailctl),
// /var/qmail/rc, the control files the scripts read, log directories owned by qmaill, a rules
// file and its cdb, and finally the /service links. Running it again changes nothing.
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text;
using Toolkit;

static class QmailSetup
{
    sealed class Settings
    {
        public string Root, Bin, Qmail, Service, Rules, LogDir, Memory, SmtpHost, SmtpPort,
            Pop3Host, Pop3Port, Checkpassword, Rbl, Qmaild, Qmaill, PerIp, Tls, SubmissionPort, SmtpsPort, Pop3sPort;
        public bool Pop3, Unprivileged;
    }

    static readonly Output Out = new(1, 4096);
    static int status;
    static string toolkit; // the directory of the running qmailctl: its tcprules compiles the rules

    public static void Register(RootCommand root, Option<string> service, Option<string> qmail, Option<string> rules, string bin)
    {
        toolkit = bin;
        var c = new Command("setup", "install the qmail services as Life with qmail lays them out (idempotent)");
        Option<string> O(string name, string value, string help)
        {
            var o = new Option<string>(name) { Description = help, DefaultValueFactory = _ => value };
            c.Options.Add(o);
            return o;
        }
        var prefix = O("--bin", bin, "where the toolkit's programs are (written into the run scripts)");
        var dest = O("--root", "", "write everything below this directory (like DESTDIR); paths inside stay as given");
        var logDir = O("--log-dir", "/var/log/qmail", "multilog directories");
        var memory = O("--memory", "10000000", "softlimit -m for tcpserver and its children");
        var smtpHost = O("--smtp-host", "0", "tcpserver host for SMTP");
        var smtpPort = O("--smtp-port", "smtp", "tcpserver port for SMTP");
        var pop3Host = O("--pop3-host", "0", "tcpserver host for POP3");
        var pop3Port = O("--pop3-port", "110", "tcpserver port for POP3");
        var checkpassword = O("--checkpassword", "/bin/checkpassword", "POP3 password checker");
        var rbl = O("--rbl", "", "RBL zones (space-separated) for rblsmtpd in front of qmail-smtpd");
        var perIp = O("--per-ip", "", "at most this many SMTP connections at once from one address (tcpserver -C)");
        var qmaild = O("--qmaild", "qmaild", "account tcpserver runs qmail-smtpd as");
        var qmaill = O("--qmaill", "qmaill", "account the log services run as and own the log directories");
        var tls = O("--tls", "", "CERT,KEY: STARTTLS on SMTP (and STLS on POP3), submission (587), SMTPS (465), POP3S (995 with --pop3)");
        var submissionPort = O("--submission-port", "587", "tcpserver port for submission (with --tls)");
        var smtpsPort = O("--smtps-port", "465", "tcpserver port for SMTPS (with --tls)");
        var pop3sPort = O("--pop3s-port", "995", "tcpserver port for POP3S (with --tls and --pop3)");
        var pop3 = new Option<bool>("--pop3") { Description = "also install the qmail-pop3d service" };
        var unprivileged = new Option<bool>("--unprivileged") { Description = "run scripts that work without root: no setuidgid, no tcpserver -u/-g (the demo)" };
        c.Options.Add(pop3);
        c.Options.Add(unprivileged);
        c.SetAction(r =>
        {
            var s = new Settings
            {
                Root = r.GetValue(dest), Bin = r.GetValue(prefix), Qmail = r.GetValue(qmail), Service = r.GetValue(service),
                Rules = r.GetValue(rules), LogDir = r.GetValue(logDir), Memory = r.GetValue(memory),
                SmtpHost = r.GetValue(smtpHost), SmtpPort = r.GetValue(smtpPort), Pop3Host = r.GetValue(pop3Host),
                Pop3Port = r.GetValue(pop3Port), Checkpassword = r.GetValue(checkpassword), Rbl = r.GetValue(rbl),
                Qmaild = r.GetValue(qmaild), Qmaill = r.GetValue(qmaill), Pop3 = r.GetValue(pop3),
                Unprivileged = r.GetValue(unprivileged), Tls = r.GetValue(tls), SubmissionPort = r.GetValue(submissionPort),
                SmtpsPort = r.GetValue(smtpsPort), Pop3sPort = r.GetValue(pop3sPort), PerIp = r.GetValue(perIp),
            };
            Run(s);
            Out.Flush();
            return status;
        });
        root.Subcommands.Add(c);
    }

    static void Run(Settings s)
    {
        var vars = new Dictionary<string, string>
        {
            ["BIN"] = s.Bin, ["QMAIL"] = s.Qmail, ["LOGDIR"] = s.LogDir, ["RULES"] = s.Rules, ["MEMORY"] = s.Memory,
            ["SMTPHOST"] = s.SmtpHost, ["SMTPPORT"] = s.SmtpPort, ["POP3HOST"] = s.Pop3Host, ["POP3PORT"] = s.Pop3Port,
            // unprivileged, `id -u` without an account gives tcpserver's own ids
            ["CHECKPASSWORD"] = s.Checkpassword, ["QMAILD"] = s.Unprivileged ? "" : s.Qmaild,
            ["RBL"] = string.Join(' ', Array.ConvertAll(s.Rbl.Split(' ', StringSplitOptions.RemoveEmptyEntries), z => "-r " + z)),
            ["LOGUSER"] = s.Unprivileged ? "" : s.Bin + "/setuidgid " + s.Qmaill + " ",
            ["SMTPIDS"] = s.Unprivileged ? "" : "-u \"$QMAILDUID\" -g \"$NOFILESGID\" ",
            ["PERIP"] = s.PerIp.Length == 0 ? "" : "-C " + s.PerIp + " ",
            ["SMTPD"] = s.Qmail + "/bin/qmail-smtpd", ["POPUP"] = s.Qmail + "/bin/qmail-popup",
        };
        if (s.PerIp.Length > 0 && !s.PerIp.All(char.IsAsciiDigit))
        {
            Errors.Warn("qmailctl: fatal: "u8, "--per-ip takes a number: "u8, Encoding.UTF8.GetBytes(s.PerIp));
            status = 100;
            return;
        }
        uint logUid = 0, logGid = 0;
        if (!s.Unprivileged && !Accounts.Lookup(Encoding.UTF8.GetBytes(s.Qmaill), out logUid, out logGid))
        {
            Errors.Warn("qmailctl: fatal: "u8, "unknown account "u8, Encoding.UTF8.GetBytes(s.Qmaill));
            status = 111;
            return;
        }

        var services = new List<(string name, string template, Dictionary<string, string> vars)>
        {
            ("qmail-send", "qmail-send", vars),
            ("qmail-smtpd", s.Rbl.Length > 0 ? "qmail-smtpd-rbl" : "qmail-smtpd", vars),
        };
        if (s.Pop3) services.Add(("qmail-pop3d", "qmail-pop3d", vars));
        if (s.Tls.Length > 0 && !QmailTls.Add(s.Tls, s.Bin, s.Pop3, s.SubmissionPort, s.SmtpsPort, s.Pop3sPort, vars, services))
        {
            status = 100;
            return;
        }

        foreach (var (name, template, serviceVars) in services)
        {
            var dir = Below(s, s.Qmail, "supervise", name);
            MakeDir(Path.Combine(dir, "log"));
            Install(Path.Combine(dir, "run"), Template(template + "/run", serviceVars), overwrite: true);
            Install(Path.Combine(dir, "log", "run"), Template(name + "/log/run", serviceVars), overwrite: true);
        }
        Install(Below(s, s.Qmail, "rc"), Template("qmail-send/rc", vars), overwrite: false);
        MakeDir(Below(s, s.Qmail, "control"));
        Install(Below(s, s.Qmail, "control", "defaultdelivery"), "./Maildir/\n", overwrite: false, mode: Mode.Rw_r__r__);
        Install(Below(s, s.Qmail, "control", "concurrencyincoming"), "20\n", overwrite: false, mode: Mode.Rw_r__r__);

        var logDirs = new List<string> { s.LogDir };
        foreach (var (name, _, _) in services)
            if (name != "qmail-send") logDirs.Add(s.LogDir + "/" + name["qmail-".Length..]);
        foreach (var d in logDirs)
        {
            var path = Below(s, d);
            MakeDir(path);
            if (!s.Unprivileged) Own(path, logUid, logGid);
        }

        var rulesPath = Below(s, s.Rules);
        MakeDir(Path.GetDirectoryName(rulesPath));
        Install(rulesPath, "127.:allow,RELAYCLIENT=\"\"\n", overwrite: false, mode: Mode.Rw_r__r__);
        if (!File.Exists(rulesPath + ".cdb") || File.GetLastWriteTimeUtc(rulesPath + ".cdb") < File.GetLastWriteTimeUtc(rulesPath))
        {
            Say("compile " + rulesPath + ".cdb");
            if (Qmailctl.Compile(toolkit, rulesPath) != 0) status = 111;
        }

        MakeDir(Below(s, s.Service));
        foreach (var (name, template, _) in services)
        {
            if (template.StartsWith("qmail-smtpd") && !File.Exists(Below(s, s.Qmail, "control", "rcpthosts")))
            {
                Say("No " + s.Qmail + "/control/rcpthosts!");
                Say("Refusing to start SMTP listener because it'll create an open relay");
                status = 1;
                continue;
            }
            var link = Below(s, s.Service, name);
            if (File.Exists(link) || Directory.Exists(link) || new FileInfo(link).LinkTarget != null) continue;
            Say("link " + link + " -> " + Path.Combine(s.Qmail, "supervise", name));
            File.CreateSymbolicLink(link, Path.Combine(s.Qmail, "supervise", name));
        }
    }

    static string Below(Settings s, params string[] parts)
    {
        var p = Path.Combine(parts);
        return s.Root.Length == 0 ? p : Path.Combine(s.Root, p.TrimStart('/'));
    }

    static string Template(string name, Dictionary<string, string> vars)
    {
        using var stream = typeof(QmailSetup).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException("template " + name + " missing from the build");
        var text = new StreamReader(stream).ReadToEnd();
        foreach (var kv in vars) text = text.Replace("@" + kv.Key + "@", kv.Value);
        return text;
    }

    static void Say(string line)
    {
        Out.Put(Encoding.UTF8.GetBytes(line));
        Out.Put((byte)'\n');
        Out.Flush();
    }

    static void MakeDir(string path)
    {
        if (Directory.Exists(path)) return;
        Say("mkdir " + path);
        Directory.CreateDirectory(path, (UnixFileMode)Mode.Rwxr_xr_x);
    }

    /// <summary>Writes a file (mode 755 unless given) if it is missing, or differs and may be replaced.</summary>
    static void Install(string path, string content, bool overwrite, int mode = Mode.Rwxr_xr_x)
    {
        if (File.Exists(path) && (!overwrite || File.ReadAllText(path) == content))
        {
            if ((int)File.GetUnixFileMode(path) != mode && overwrite) File.SetUnixFileMode(path, (UnixFileMode)mode);
            return;
        }
        Say("install " + path);
        var tmp = path + ".new";
        File.WriteAllText(tmp, content);
        File.SetUnixFileMode(tmp, (UnixFileMode)mode);
        File.Move(tmp, path, overwrite: true);
    }

    static void Own(string path, uint uid, uint gid)
    {
        if (Files.Chown(Encoding.UTF8.GetBytes(path), uid, gid) == -1)
        {
            Errors.WarnSys(Native.Errno, "qmailctl: warning: "u8, "unable to chown "u8, Encoding.UTF8.GetBytes(path), ": "u8);
            status = 111;
        }
    }
}
