// tcpserver OPTS HOST PORT PROGRAM...: accept TCP connections on HOST:PORT and run PROGRAM
// for each one with the socket as fds 0 and 1 and the TCP* variables describing it.
//
// Unlike djb's tcpserver, which forks first and looks up names, ident and rules in the
// child, everything per connection is done here in one poll(2) loop: the host-name and
// ident lookups of all pending connections run side by side on non-blocking sockets, and a
// connection's PROGRAM is started (fork+exec in the start-up layer) once they are finished.
// The log lines are the same and in the same order; a denied or dropped connection is
// represented by a child that only exits 100 or 111, so its "end" line is the C one.
using System.Collections.Generic;
using Toolkit;

static unsafe class Tcpserver
{
    static ReadOnlySpan<byte> Fatal => "tcpserver: fatal: "u8;
    static ReadOnlySpan<byte> DropText => "tcpserver: warning: dropping connection, "u8;

    static int verbosity = 1;
    static bool flagQuietErrors;
    static ulong limit = 40, backlog = 20, timeout = 26, uid, gid;
    static bool flagAllowNoRules, flagDelay = true, flagParanoid, flagKillOpts = true, flagRemoteHost = true,
        flagRemoteInfo = true, flag1;
    // ucspi-tcp-ipv6's behaviour (see docs/tcpserver.md) once one of its options or an IPv6
    // address is given; without them everything is 0.88's IPv4 tcpserver.
    static bool ipv6Mode, flag4, flag6;
    static uint netif;
    static byte[] rulesFile, banner = [], localHostOption;
    static byte[] localPortText;
    static byte[][] program;
    static byte[][] baseEnv;
    static int numChildren;
    static readonly List<Connection> pending = new();
    // Children started whose exec has not yet reported (Exec.SpawnStart): the loop goes on
    // accepting while they load their program.
    static readonly List<Launching> launching = new();

    sealed class Launching
    {
        public Exec.Launch Launch;
        public int ExecError;
        public bool Done;
    }

    sealed class Connection
    {
        public int Fd;
        public byte[] RemoteIp, LocalIp;
        public int RemotePort, LocalPort;
        public uint Scope;
        public Dns LocalPtr, RemotePtr, RemoteA;
        public Ident Ident;
        public byte[] RemoteName;

        public IEnumerable<IPollTask> Tasks()
        {
            if (LocalPtr is { Done: false }) yield return LocalPtr;
            if (RemotePtr is { Done: false }) yield return RemotePtr;
            if (RemoteA is { Done: false }) yield return RemoteA;
            if (Ident is { Done: false }) yield return Ident;
        }
    }

    static void Usage()
    {
        if (!flagQuietErrors)
            Errors.Warn(ipv6Mode
                ? "tcpserver: usage: tcpserver [ -461UXpPhHrRoOdDqQv ] [ -c limit ] [ -x rules.cdb ] [ -B banner ] [ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] [ -t timeout ] [ -I interface ] host port program"u8
                : "tcpserver: usage: tcpserver [ -1UXpPhHrRoOdDqQv ] [ -c limit ] [ -x rules.cdb ] [ -B banner ] [ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] [ -t timeout ] host port program"u8);
        Errors.Exit(100);
    }

    static void Die(int code, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b = default, ReadOnlySpan<byte> c = default, int errno = -1)
    {
        if (verbosity > 0)
        {
            if (errno >= 0) Errors.WarnSys(errno, Fatal, a, b, c);
            else Errors.Warn(Fatal, a, b, c);
        }
        Errors.Exit(code);
    }

    static void Warn(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b = default, ReadOnlySpan<byte> c = default, int errno = -1)
    {
        if (verbosity == 0) return;
        if (errno >= 0) Errors.WarnSys(errno, DropText, a, b, c);
        else Errors.Warn(DropText, a, b, c);
    }

    internal static int Main()
    {
        var argv = Args.Argv;
        var opt = new Getopt(argv, "dDvqQhHrR1UXx:t:u:g:l:b:B:c:pPoO46I:");
        int c;
        while ((c = opt.Next()) != Getopt.Done)
        {
            switch (c)
            {
                case 'b': Numbers.ScanULong(opt.Arg, out backlog); break;
                case 'c': Numbers.ScanULong(opt.Arg, out limit); break;
                case 'X': flagAllowNoRules = true; break;
                case 'x': rulesFile = opt.Arg; break;
                case 'B': banner = opt.Arg; break;
                case 'd': flagDelay = true; break;
                case 'D': flagDelay = false; break;
                case 'v': verbosity = 2; break;
                case 'q': verbosity = 0; break;
                case 'Q': verbosity = 1; break;
                case 'P': flagParanoid = false; break;
                case 'p': flagParanoid = true; break;
                case 'O': flagKillOpts = true; break;
                case 'o': flagKillOpts = false; break;
                case 'H': flagRemoteHost = false; break;
                case 'h': flagRemoteHost = true; break;
                case 'R': flagRemoteInfo = false; break;
                case 'r': flagRemoteInfo = true; break;
                case 't': Numbers.ScanULong(opt.Arg, out timeout); break;
                case 'U':
                    var x = Args.GetEnv("UID"u8);
                    if (x != null) Numbers.ScanULong(x, out uid);
                    x = Args.GetEnv("GID"u8);
                    if (x != null) Numbers.ScanULong(x, out gid);
                    break;
                case 'u': Numbers.ScanULong(opt.Arg, out uid); break;
                case 'g': Numbers.ScanULong(opt.Arg, out gid); break;
                case 'l': localHostOption = opt.Arg; break;
                case '1': flag1 = true; break;
                case '4': flag4 = ipv6Mode = true; break;
                case '6': flag6 = ipv6Mode = true; break;
                case 'I': netif = Net.InterfaceIndex(opt.Arg); ipv6Mode = true; break;
                default: Usage(); break;
            }
        }
        flagQuietErrors = verbosity == 0;
        var rest = argv[opt.Index..];
        if (rest.Length < 1) Usage();
        var hostname = rest[0];
        if (hostname.AsSpan().IndexOf((byte)':') >= 0) ipv6Mode = true;
        if (rest.Length < 2) Usage();
        if (!Net.Port(rest[1], out int localPort)) Die(111, "unable to figure out port number for "u8, rest[1]);
        if (rest.Length < 3) Usage();
        program = rest[2..];

        int selfpipe = Native.tk_selfpipe();
        Native.tk_signal_catch(Native.SIGCHLD);
        Native.tk_signal_unblock(Native.SIGCHLD);
        Native.tk_signal_catch(Native.SIGTERM);
        Native.tk_signal_set(Native.SIGPIPE, 1);

        var localIp = ipv6Mode ? LocalAddress6(hostname) : LocalAddress(hostname);
        // As ucspi-tcp-ipv6: -4 or an IPv4 address make an IPv4 socket.
        bool socket6 = localIp.Length == 16 && !flag4 && !Net.IsMapped(localIp);
        if (!socket6) localIp = Net.OnIpv4Socket(localIp, connect: false);
        int s = Net.Socket(Native.SOCK_STREAM, nonBlocking: true, socket6);
        if (s == -1) Die(111, "unable to create socket: "u8, errno: Native.Errno);
        if (socket6) Net.SetOption(s, Native.IPPROTO_IPV6, Native.IPV6_V6ONLY, 0);
        if (Net.Bind(s, localIp, localPort, reuse: true, netif) == -1) Die(111, "unable to bind: "u8, errno: Native.Errno);
        if (Net.Local(s, out localPort) == null) Die(111, "unable to get local address: "u8, errno: Native.Errno);
        if (Native.listen(s, (int)backlog) == -1) Die(111, "unable to listen: "u8, errno: Native.Errno);
        if (gid != 0 && Accounts.SetGid((uint)gid) == -1) Die(111, "unable to set gid: "u8, errno: Native.Errno);
        if (uid != 0 && Accounts.SetUid((uint)uid) == -1) Die(111, "unable to set uid: "u8, errno: Native.Errno);

        localPortText = Numbers.Text((ulong)localPort);
        if (flag1)
        {
            var o = new Output(1, 32);
            o.Put(localPortText);
            o.Put((byte)'\n');
            o.Flush();
        }
        // Like djb's close(0) and close(1), but keep both numbers taken so that no socket or
        // pipe of ours can land on them (a child's fd actions write 0 and 1).
        int devnull = Files.Open("/dev/null"u8, Native.O_RDWR | Native.O_CLOEXEC);
        Native.dup2(devnull, 0);
        Native.dup2(devnull, 1);
        if (devnull > 1) Native.close(devnull);
        baseEnv = Args.Environ();
        PrintStatus();
        Loop(s, selfpipe);
        return 0;
    }

    static void Loop(int s, int selfpipe)
    {
        var fds = new Native.PollFd[64];
        var steps = new List<IPollTask>();
        for (;;)
        {
            steps.Clear();
            int n = 0;
            long deadline = long.MaxValue;
            Add(ref fds, ref n, selfpipe, Native.POLLIN);
            bool listening = (ulong)numChildren < limit;
            if (listening) Add(ref fds, ref n, s, Native.POLLIN);
            int firstLaunch = n, launches = launching.Count;
            foreach (var l in launching) Add(ref fds, ref n, l.Launch.Report, Native.POLLIN);
            int first = n;
            foreach (var conn in pending)
                foreach (var task in conn.Tasks())
                {
                    Add(ref fds, ref n, task.Fd, task.Events);
                    steps.Add(task);
                    if (task.Deadline < deadline) deadline = task.Deadline;
                }
            int wait = -1;
            if (deadline != long.MaxValue) wait = (int)Math.Clamp(deadline - Net.Now(), 0, int.MaxValue);
            int r;
            fixed (Native.PollFd* p = fds) r = Native.poll(p, (ulong)n, wait);
            if (r == -1) continue;
            // Before the signals: a failed exec is logged before its child's "end" line.
            for (int i = 0; i < launches; i++)
                if (fds[firstLaunch + i].Revents != 0) Reported(launching[i]);
            launching.RemoveAll(l => l.Done);
            if (fds[0].Revents != 0) Signals(selfpipe);
            if (listening && fds[1].Revents != 0) AcceptAll(s);
            for (int i = 0; i < steps.Count; i++) steps[i].Step(fds[first + i].Revents);
            for (int i = 0; i < pending.Count; i++)
                if (Advance(pending[i])) { pending.RemoveAt(i); i--; }
        }
    }

    // As in the C tcpserver, the child keeps the signal state tcpserver was started with (CHLD
    // unblocked), but for the three signals tcpserver handles itself, which are default.
    const ulong ChildDefaults = 1UL << (Native.SIGCHLD - 1) | 1UL << (Native.SIGTERM - 1) | 1UL << (Native.SIGPIPE - 1);

    static void Reported(Launching l)
    {
        int before = l.ExecError;
        l.Done = Exec.Finish(ref l.Launch, ref l.ExecError);
        if (l.ExecError != before) Warn("unable to run "u8, program[0], ": "u8, l.ExecError);
    }

    static void Add(ref Native.PollFd[] fds, ref int n, int fd, short events)
    {
        if (n == fds.Length) Array.Resize(ref fds, n * 2);
        fds[n].Fd = fd; fds[n].Events = events; fds[n].Revents = 0;
        n++;
    }

    static void Signals(int selfpipe)
    {
        byte* buf = stackalloc byte[64];
        bool child = false;
        for (;;)
        {
            nint r = Native.read(selfpipe, buf, 64);
            if (r <= 0) break;
            for (int i = 0; i < r; i++)
            {
                if (buf[i] == Native.SIGTERM) Errors.Exit(0);
                if (buf[i] == Native.SIGCHLD) child = true;
            }
        }
        if (!child) return;
        int status, pid;
        while ((pid = Native.waitpid(-1, &status, Native.WNOHANG)) > 0)
        {
            if (verbosity >= 2)
                Errors.Warn("tcpserver: end "u8, Numbers.Text((ulong)pid), " status "u8, Numbers.Text((ulong)(uint)status));
            if (numChildren > 0) numChildren--;
            PrintStatus();
        }
    }

    static void PrintStatus()
    {
        if (verbosity < 2) return;
        Errors.Warn("tcpserver: status: "u8, Numbers.Text((ulong)numChildren), "/"u8, Numbers.Text(limit));
    }

    static void AcceptAll(int s)
    {
        while ((ulong)numChildren < limit)
        {
            var conn = new Connection();
            int t = Net.Accept(s, out conn.RemoteIp, out conn.RemotePort, nonBlocking: false);
            if (t == -1) return;
            conn.Fd = t;
            numChildren++;
            PrintStatus();
            Start(conn);
        }
    }

    static void Start(Connection conn)
    {
        int t = conn.Fd;
        if (flagKillOpts) Net.KillIpOptions(t);
        if (!flagDelay) Net.SetOption(t, Native.IPPROTO_TCP, Native.TCP_NODELAY, 1);
        if (banner.Length > 0)
        {
            var o = new Output(t, 1024);
            o.Put(banner);
            if (!o.Flush()) { Drop(conn, 111, "unable to print banner: "u8, default, o.Errno); return; }
        }
        conn.LocalIp = Net.Local(t, out conn.LocalPort, out conn.Scope);
        if (conn.LocalIp == null) { Drop(conn, 111, "unable to get local address: "u8, default, Native.Errno); return; }
        if (localHostOption == null) conn.LocalPtr = new Dns(Dns.ReverseName(conn.LocalIp), Dns.PTR);
        if (flagRemoteHost) conn.RemotePtr = new Dns(Dns.ReverseName(conn.RemoteIp), Dns.PTR);
        if (flagRemoteInfo)
            conn.Ident = new Ident(conn.LocalIp, conn.LocalPort, conn.RemoteIp, conn.RemotePort, (int)Math.Min(timeout, int.MaxValue / 1000));
        if (Advance(conn)) return;
        pending.Add(conn);
    }

    /// <summary>Moves a connection on once lookups finish; true when it is no longer pending.</summary>
    static bool Advance(Connection conn)
    {
        if (conn.RemotePtr is { Done: true } && conn.RemoteName == null && conn.RemoteA == null)
        {
            var name = Dns.Name(conn.RemotePtr.Answer);
            conn.RemotePtr = null;
            if (name != null && flagParanoid)
            {
                var literal = Dns.Literal(name);
                if (literal != null) { if (!Contains(literal, conn.RemoteIp)) name = null; }
                else conn.RemoteA = new Dns(name, conn.RemoteIp.Length == 16 ? Dns.AAAA : Dns.A);
            }
            conn.RemoteName = name ?? [];
        }
        if (conn.RemoteA is { Done: true })
        {
            if (!Contains(Dns.Addresses(conn.RemoteA.Answer, conn.RemoteIp.Length == 16 ? Dns.AAAA : Dns.A), conn.RemoteIp)) conn.RemoteName = [];
            conn.RemoteA = null;
        }
        foreach (var _ in conn.Tasks()) return false;
        Finish(conn);
        return true;
    }

    static bool Contains(List<byte[]> ips, byte[] ip)
    {
        foreach (var a in ips) if (a.AsSpan().SequenceEqual(ip)) return true;
        return false;
    }

    static void Finish(Connection conn)
    {
        byte[] localHost = localHostOption;
        if (localHost == null && conn.LocalPtr != null)
        {
            var name = Dns.Name(conn.LocalPtr.Answer);
            if (name != null && name.Length > 0) localHost = name;
        }
        byte[] remoteHost = conn.RemoteName is { Length: > 0 } ? conn.RemoteName : null;
        byte[] remoteInfo = conn.Ident?.Info;
        var localIpText = Net.Text6(conn.LocalIp, flag6);
        var remoteIpText = Net.Text6(conn.RemoteIp, flag6);
        bool tcp6 = conn.RemoteIp.Length == 16 || flag6;
        var remotePortText = Numbers.Text((ulong)conn.RemotePort);
        var changes = new List<byte[]>
        {
            Exec.Change("PROTO"u8, tcp6 ? "TCP6"u8 : "TCP"u8),
            Exec.Change("TCPLOCALIP"u8, localIpText),
            Exec.Change("TCPLOCALPORT"u8, localPortText),
            Exec.Change("TCPLOCALHOST"u8, localHost, localHost == null),
            Exec.Change("TCPREMOTEIP"u8, remoteIpText),
            Exec.Change("TCPREMOTEPORT"u8, remotePortText),
            Exec.Change("TCPREMOTEHOST"u8, remoteHost, remoteHost == null),
            Exec.Change("TCPREMOTEINFO"u8, remoteInfo, remoteInfo == null),
        };
        // ucspi-tcp-ipv6 sets the TCP6 variables for IPv4 clients too (their addresses
        // IPv4-mapped), and TCP6INTERFACE only for an IPv6 connection with a scope (link-local).
        var localIp6Text = Net.Text6(conn.LocalIp, true);
        var remoteIp6Text = Net.Text6(conn.RemoteIp, true);
        if (ipv6Mode)
        {
            changes.Add(Exec.Change("TCP6LOCALIP"u8, localIp6Text));
            changes.Add(Exec.Change("TCP6LOCALPORT"u8, localPortText));
            changes.Add(Exec.Change("TCP6LOCALHOST"u8, localHost, localHost == null));
            if (tcp6 && conn.Scope != 0) changes.Add(Exec.Change("TCP6INTERFACE"u8, Net.InterfaceName(conn.Scope)));
            changes.Add(Exec.Change("TCP6REMOTEIP"u8, remoteIp6Text));
            changes.Add(Exec.Change("TCP6REMOTEPORT"u8, remotePortText));
            changes.Add(Exec.Change("TCP6REMOTEHOST"u8, remoteHost, remoteHost == null));
            changes.Add(Exec.Change("TCP6REMOTEINFO"u8, remoteInfo, remoteInfo == null));
        }

        bool deny = false;
        if (rulesFile != null)
        {
            int err = RulesCheck(remoteIpText, remoteHost, remoteInfo, changes, out deny);
            if (err != 0)
            {
                Drop(conn, 111, "unable to read "u8, rulesFile, err, remoteIpText);
                return;
            }
        }

        int pid;
        if (deny) pid = Native.tk_spawn_exit(100);
        else
        {
            var env = Exec.Apply(baseEnv, changes);
            pid = Exec.SpawnStart(program, env, [Exec.FdDup2, conn.Fd, 0, Exec.FdDup2, conn.Fd, 1], ChildDefaults, out var launch);
            if (pid >= 0) launching.Add(new Launching { Launch = launch });
        }
        Native.close(conn.Fd);
        if (ForkFailed(pid)) return;
        if (verbosity >= 2)
        {
            var pidText = Numbers.Text((ulong)pid);
            Errors.Warn("tcpserver: pid "u8, pidText, " from "u8, remoteIpText);
            var line = new List<byte>(256);
            line.AddRange("tcpserver: "u8.ToArray());
            Safe(line, deny ? "deny"u8 : "ok"u8);
            line.Add((byte)' '); Safe(line, pidText);
            line.Add((byte)' '); if (localHost != null) Safe(line, localHost);
            line.Add((byte)':'); Safe(line, ipv6Mode ? localIp6Text : localIpText, ipv6Mode);
            line.Add((byte)':'); Safe(line, localPortText);
            line.Add((byte)' '); if (remoteHost != null) Safe(line, remoteHost);
            line.Add((byte)':'); Safe(line, ipv6Mode ? remoteIp6Text : remoteIpText, ipv6Mode);
            line.Add((byte)':'); if (remoteInfo != null) Safe(line, remoteInfo);
            line.Add((byte)':'); Safe(line, remotePortText);
            Errors.Warn(line.ToArray());
        }
    }

    /// <summary>The rules for this connection (-x), read afresh each time: variables are
    /// added to changes; an error number if the cdb cannot be read (a missing one is fine
    /// with -X).</summary>
    static int RulesCheck(byte[] ip, byte[] host, byte[] info, List<byte[]> changes, out bool deny)
    {
        deny = false;
        int r = Rules.Check(rulesFile, ip, host, info, out var rule, out int errno);
        if (r == -1) return errno == Native.ENOENT && flagAllowNoRules ? 0 : errno;
        if (r == 1)
        {
            deny = rule.Deny(out var env);
            foreach (var (name, value) in env) changes.Add(Exec.Change(name, value));
        }
        return 0;
    }

    static bool ForkFailed(int pid)
    {
        if (pid >= 0) return false;
        Warn("unable to fork: "u8, errno: -pid);
        numChildren--;
        PrintStatus();
        return true;
    }

    /// <summary>A log field as djb's safecats writes it: at most 100 bytes, odd ones as '?'.</summary>
    static void Safe(List<byte> line, ReadOnlySpan<byte> s, bool keepColons = false)
    {
        for (int i = 0; i < 100; i++)
        {
            if (i == s.Length) return;
            byte ch = s[i];
            if (ch < 33 || ch > 126 || ch == '%' || (ch == ':' && !keepColons)) ch = (byte)'?';
            line.Add(ch);
        }
        line.AddRange("..."u8.ToArray());
    }

    /// <summary>A connection given up after it was counted: what djb's child would print, then
    /// a child exiting with his child's code so that the "end" line is the same.</summary>
    static void Drop(Connection conn, int code, ReadOnlySpan<byte> what, ReadOnlySpan<byte> name, int errno, byte[] remoteIpText = null)
    {
        Native.close(conn.Fd);
        int pid = Native.tk_spawn_exit(code);
        if (ForkFailed(pid)) return;
        if (verbosity >= 2)
            Errors.Warn("tcpserver: pid "u8, Numbers.Text((ulong)pid), " from "u8, remoteIpText ?? Net.Text6(conn.RemoteIp, flag6));
        if (name.Length > 0) Warn(what, name, ": "u8, errno);
        else Warn(what, errno: errno);
    }

    /// <summary>The address to listen on: djb's 0.0.0.0 for 0 or empty, a name qualified as
    /// dns_ip4_qualify does; a name with IPv6 addresses only is looked up as ucspi-tcp-ipv6 does.</summary>
    static byte[] LocalAddress(byte[] hostname)
    {
        if (hostname.Length == 0 || hostname.AsSpan().SequenceEqual("0"u8)) hostname = "0.0.0.0"u8.ToArray();
        var addresses = DnsQualify.Addresses(hostname, false, out int errno);
        if (addresses is { Count: 0 }) return LocalAddress6(hostname);
        return FirstAddress(hostname, addresses, errno);
    }

    /// <summary>The address to listen on as ucspi-tcp-ipv6 finds it: 0 (or empty) is ::, else
    /// the name qualified, its AAAA and A records (an IPv4 address IPv4-mapped).</summary>
    static byte[] LocalAddress6(byte[] hostname)
    {
        ipv6Mode = true;
        if (hostname.Length == 0 || hostname.AsSpan().SequenceEqual("0"u8)) return new byte[16];
        return FirstAddress(hostname, DnsQualify.Addresses(hostname, true, out int errno), errno);
    }

    static byte[] FirstAddress(byte[] hostname, List<byte[]> addresses, int errno)
    {
        if (addresses == null) Die(111, "temporarily unable to figure out IP address for "u8, hostname, ": "u8, errno);
        if (addresses.Count == 0) Die(111, "no IP address for "u8, hostname);
        return addresses[0];
    }
}
