// tcpserver OPTS HOST PORT PROGRAM...: accept TCP connections on HOST:PORT and run PROGRAM
// for each one with the socket as fds 0 and 1 and the TCP* variables describing it.
//
// Unlike djb's tcpserver, which forks first and looks up names, ident and rules in the
// child, everything per connection is done here in one poll(2) loop: the host-name and
// ident lookups of all pending connections run side by side on non-blocking sockets, and a
// connection's PROGRAM is started (fork+exec in the start-up layer) once they are finished.
// The log lines are the same and in the same order; a denied or dropped connection is
// represented by a child that only exits 100 or 111, so its "end" line is the C one.
//
// Beyond 0.88, all opt-in: limits per client (-C and rule variables, core/ConnectionLimits.cs)
// and the PROXY protocol (-Y: the header is read in the same loop, before the lookups).
using System.Collections.Generic;
using Toolkit;

static class Tcpserver
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
    static byte[] perIpOption;
    static ConnectionLimits limits;
    static bool flagProxy;
    static ulong proxyTimeout = 5;
    static byte[][] program;
    // What every child is started with: PROGRAM's argv as C strings, made once, and the
    // environment, made afresh for each connection in the same memory.
    static CStrings programArgv;
    static EnvBlock childEnv;
    static int numChildren;
    static readonly List<Connection> pending = new();
    // Connections done with, to be used again: as many as were ever pending at once.
    static readonly Stack<Connection> spare = new();
    // Children started whose exec has not yet happened (Exec.SpawnStart): the loop goes on
    // accepting while they load their program.
    static readonly List<Exec.Launch> launching = new();
    const int LaunchCheck = 10; // ms between looks at them when nothing else happens
    static int pendingLimit;

    sealed class Connection
    {
        public int Fd;
        public readonly byte[] Remote = new byte[16], Local = new byte[16];
        public int RemoteLength, LocalLength;
        public int RemotePort, LocalPort;
        public uint Scope;
        public Dns LocalPtr, RemotePtr, RemoteA;
        public Ident Ident;
        public byte[] RemoteName;
        // -Y: the header, and the proxy's address (the connection's own peer).
        public ProxyHeader Header;
        public bool Reading;
        public readonly byte[] Proxy = new byte[16];
        public int ProxyLength;

        public ReadOnlySpan<byte> RemoteIp => Remote.AsSpan(0, RemoteLength);
        public ReadOnlySpan<byte> LocalIp => Local.AsSpan(0, LocalLength);
        public ReadOnlySpan<byte> ProxyIp => Proxy.AsSpan(0, ProxyLength);

        public bool Waiting => Running(LocalPtr) || Running(RemotePtr) || Running(RemoteA) || Running(Ident) || Reading;

        /// <summary>Adds the lookups still running to tasks.</summary>
        public void AddRunning(List<IPollTask> tasks)
        {
            if (Running(LocalPtr)) tasks.Add(LocalPtr);
            if (Running(RemotePtr)) tasks.Add(RemotePtr);
            if (Running(RemoteA)) tasks.Add(RemoteA);
            if (Running(Ident)) tasks.Add(Ident);
            if (Reading && Running(Header)) tasks.Add(Header);
        }

        static bool Running(IPollTask task) => task is { Done: false };

        public void Clear()
        {
            LocalPtr = RemotePtr = RemoteA = null;
            Ident = null;
            RemoteName = null;
            Reading = false;
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
        var opt = new Getopt(argv, "dDvqQhHrR1UXx:t:u:g:l:b:B:c:pPoO46I:C:Yy:");
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
                case 'C': perIpOption = opt.Arg; break;
                case 'Y': flagProxy = true; break;
                case 'y': Numbers.ScanULong(opt.Arg, out proxyTimeout); break;
                default: Usage(); break;
            }
        }
        flagQuietErrors = verbosity == 0;
        var rest = argv[opt.Index..];
        if (rest.Length < 1) Usage();
        var hostname = rest[0];
        if (hostname.AsSpan().IndexOf((byte)':') >= 0) ipv6Mode = true;
        if (rest.Length < 2) Usage();
        if (!Services.Port(rest[1], out int localPort)) Die(111, "unable to figure out port number for "u8, rest[1]);
        if (rest.Length < 3) Usage();
        program = rest[2..];

        int selfpipe = Native.tk_selfpipe();
        Native.tk_signal_catch(Native.SIGCHLD);
        Native.tk_signal_unblock(Native.SIGCHLD);
        Native.tk_signal_catch(Native.SIGTERM);
        Native.tk_signal_set(Native.SIGPIPE, 1);

        var localIp = ipv6Mode ? LocalAddress6(hostname) : LocalAddress(hostname);
        // As ucspi-tcp-ipv6: -4 or an IPv4 address make an IPv4 socket.
        bool socket6 = localIp.Length == 16 && !flag4 && !Ip.IsMapped(localIp);
        if (!socket6) localIp = Ip.OnIpv4Socket(localIp, connect: false);
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
        programArgv = new CStrings(program, null);
        childEnv = new EnvBlock();
        // Counting costs a little per connection: only where a limit can apply (-C, or rules that
        // may set one).
        if (perIpOption != null || rulesFile != null) limits = new ConnectionLimits(perIpOption);
        pendingLimit = PendingLimit();
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
            bool listening = Accepting();
            if (listening) Add(ref fds, ref n, s, Native.POLLIN);
            int first = n;
            foreach (var conn in pending) conn.AddRunning(steps);
            foreach (var task in steps)
            {
                Add(ref fds, ref n, task.Fd, task.Events);
                if (task.Deadline < deadline) deadline = task.Deadline;
            }
            int wait = deadline == long.MaxValue ? -1 : (int)Math.Clamp(deadline - Clock.Now(), 0, int.MaxValue);
            // An exec wakes nothing: while a child is starting, look again soon to free its memory.
            if (launching.Count > 0 && (wait < 0 || wait > LaunchCheck)) wait = LaunchCheck;
            bool trim = wait < 0 && GC.CollectionCount(0) != collectionsTrimmed;
            if (trim) wait = TrimDelay;
            int r = Sys.Poll(fds.AsSpan(0, n), wait);
            if (r == -1) continue;
            if (r == 0 && trim) Trim();
            Launched(0);
            if (fds[0].Revents != 0) Signals(selfpipe);
            if (listening && fds[1].Revents != 0) AcceptAll(s);
            for (int i = 0; i < steps.Count; i++) steps[i].Step(fds[first + i].Revents);
            for (int i = 0; i < pending.Count; i++)
            {
                var conn = pending[i];
                if (!Advance(conn)) continue;
                pending.RemoveAt(i--);
                Release(conn);
            }
        }
    }

    // Accepting a connection and starting its program allocate nothing on the managed heap;
    // rules and lookups do, and a collection leaves the heap larger. Once the server has been
    // idle for a while after one, a full collection gives that memory back.
    const int TrimDelay = 1000;
    static int collectionsTrimmed;

    static void Trim()
    {
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        collectionsTrimmed = GC.CollectionCount(0);
    }

    // Descriptors: a connection holds its socket and one for each lookup until its program is
    // started, none after (a child's exec is reported through memory). Only as many connections
    // wait for lookups at once as can all have theirs, so that none is dropped or looked up
    // wrongly for want of a descriptor, however many children are starting (djb's tcpserver,
    // which forks first, needs one in all).
    const int SpareDescriptors = 1; // the rules cdb, open beside a connection's socket
    const int CountedDescriptors = 65536, CountChunk = 128;

    static bool Accepting() => (ulong)numChildren < limit && pending.Count < pendingLimit;

    static int PendingLimit()
    {
        if (!Sys.OwnLimit(Native.RLIMIT_NOFILE, out ulong nofile) || nofile > int.MaxValue) return int.MaxValue;
        int max = (int)nofile;
        int perConnection = 1 + (localHostOption == null ? 1 : 0) + (flagRemoteHost ? 1 : 0) + (flagRemoteInfo && !flagProxy ? 1 : 0);
        return Math.Max(1, (max - OpenDescriptors(max) - SpareDescriptors) / perConnection);
    }

    /// <summary>How many descriptors below max are open: poll marks the others invalid.</summary>
    static int OpenDescriptors(int max)
    {
        Span<Native.PollFd> fds = stackalloc Native.PollFd[CountChunk];
        int open = 0;
        for (int low = 0; low < Math.Min(max, CountedDescriptors); low += CountChunk)
        {
            int n = Math.Min(CountChunk, max - low);
            for (int i = 0; i < n; i++) fds[i] = new Native.PollFd { Fd = low + i };
            Sys.Poll(fds.Slice(0, n), 0);
            for (int i = 0; i < n; i++) if ((fds[i].Revents & Native.POLLNVAL) == 0) open++;
        }
        return open;
    }

    // As in the C tcpserver, the child keeps the signal state tcpserver was started with (CHLD
    // unblocked), but for the three signals tcpserver handles itself, which are default.
    const ulong ChildDefaults = 1UL << (Native.SIGCHLD - 1) | 1UL << (Native.SIGTERM - 1) | 1UL << (Native.SIGPIPE - 1);

    /// <summary>Children that have run their program or failed to (all, or the one that ended):
    /// a failed exec is logged as djb's child logs it, before the child's "end" line.</summary>
    static void Launched(int endedPid)
    {
        for (int i = 0; i < launching.Count; i++)
        {
            var l = launching[i];
            if (endedPid != 0 && l.Pid != endedPid) continue;
            if (!Exec.Finish(l, endedPid != 0, out int err)) continue;
            if (err != 0) Warn("unable to run "u8, program[0], ": "u8, err);
            launching.RemoveAt(i--);
        }
    }

    static void Add(ref Native.PollFd[] fds, ref int n, int fd, short events)
    {
        if (n == fds.Length) Array.Resize(ref fds, n * 2);
        fds[n].Fd = fd; fds[n].Events = events; fds[n].Revents = 0;
        n++;
    }

    static void Signals(int selfpipe)
    {
        Span<byte> buf = stackalloc byte[64];
        bool child = false;
        for (;;)
        {
            int r = Sys.Read(selfpipe, buf);
            if (r <= 0) break;
            for (int i = 0; i < r; i++)
            {
                if (buf[i] == Native.SIGTERM) Errors.Exit(0);
                if (buf[i] == Native.SIGCHLD) child = true;
            }
        }
        if (!child) return;
        int status, pid;
        Span<byte> pidText = stackalloc byte[20], statusText = stackalloc byte[20];
        while ((pid = Exec.WaitNoHang(out status)) > 0)
        {
            Launched(pid);
            if (verbosity >= 2)
                Errors.Warn("tcpserver: end "u8, Decimal(pidText, (ulong)pid), " status "u8, Decimal(statusText, (uint)status));
            limits?.Ended(pid);
            if (numChildren > 0) numChildren--;
            PrintStatus();
        }
    }

    static Span<byte> Decimal(Span<byte> buf, ulong n) => buf.Slice(0, Numbers.Format(buf, n));

    static void PrintStatus()
    {
        if (verbosity < 2) return;
        Span<byte> count = stackalloc byte[20], max = stackalloc byte[20];
        Errors.Warn("tcpserver: status: "u8, Decimal(count, (ulong)numChildren), "/"u8, Decimal(max, limit));
    }

    static void AcceptAll(int s)
    {
        while (Accepting())
        {
            var conn = spare.Count > 0 ? spare.Pop() : new Connection();
            int t = Net.Accept(s, conn.Remote, out conn.RemoteLength, out conn.RemotePort, nonBlocking: false);
            if (t == -1) { spare.Push(conn); return; }
            conn.Fd = t;
            numChildren++;
            PrintStatus();
            if (Start(conn)) Release(conn);
            else pending.Add(conn);
        }
    }

    static void Release(Connection conn)
    {
        conn.Clear();
        spare.Push(conn);
    }

    /// <summary>Takes a new connection on: true when that is done (its program started or the
    /// connection dropped), false while its lookups run.</summary>
    static bool Start(Connection conn)
    {
        int t = conn.Fd;
        if (flagKillOpts) Net.KillIpOptions(t);
        if (!flagDelay) Net.SetOption(t, Native.IPPROTO_TCP, Native.TCP_NODELAY, 1);
        if (flagProxy)
        {
            conn.Header ??= new ProxyHeader();
            conn.Header.Start(t, Clock.Now() + (long)Math.Min(proxyTimeout, int.MaxValue / 1000) * 1000);
            conn.Reading = true;
            conn.Header.Step(Native.POLLIN); // the header usually came with the connection
            return Advance(conn);
        }
        conn.LocalLength = -1;
        return Begin(conn);
    }

    /// <summary>The banner, the local address (unless a PROXY header gave it) and the lookups.</summary>
    static bool Begin(Connection conn)
    {
        int t = conn.Fd;
        if (banner.Length > 0)
        {
            if (!Sys.WriteAll(t, banner)) { Drop(conn, 111, "unable to print banner: "u8, default, Native.Errno); return true; }
        }
        if (conn.LocalLength < 0) conn.LocalLength = Net.Local(t, conn.Local, out conn.LocalPort, out conn.Scope);
        if (conn.LocalLength < 0) { Drop(conn, 111, "unable to get local address: "u8, default, Native.Errno); return true; }
        if (localHostOption == null) conn.LocalPtr = new Dns(DnsPacket.ReverseName(conn.LocalIp), Dns.PTR);
        if (flagRemoteHost) conn.RemotePtr = new Dns(DnsPacket.ReverseName(conn.RemoteIp), Dns.PTR);
        // Behind a proxy, the client's ident server cannot be reached from here.
        if (flagRemoteInfo && !flagProxy)
            conn.Ident = new Ident(conn.LocalIp, conn.LocalPort, conn.RemoteIp, conn.RemotePort, (int)Math.Min(timeout, int.MaxValue / 1000));
        return Advance(conn);
    }

    /// <summary>A header read: the client's addresses taken from it (the proxy's kept), or the
    /// connection dropped and the reason logged; false when dropped.</summary>
    static bool Proxied(Connection conn)
    {
        var h = conn.Header;
        conn.Reading = false;
        conn.RemoteIp.CopyTo(conn.Proxy);
        conn.ProxyLength = conn.RemoteLength;
        conn.LocalLength = -1;
        if (h.Result == ProxyHeader.Outcome.Failed)
        {
            Native.close(conn.Fd);
            if (verbosity > 0)
            {
                Span<byte> ipBuf = stackalloc byte[Ip.TextMax];
                Errors.Warn(DropText, "bad PROXY header from "u8, ipBuf.Slice(0, Ip.Text6(ipBuf, conn.ProxyIp, flag6)), ": "u8, h.Why);
            }
            Uncount();
            return false;
        }
        if (h.Result == ProxyHeader.Outcome.Proxied)
        {
            h.Remote.CopyTo(conn.Remote, 0);
            conn.RemoteLength = h.RemoteLength;
            conn.RemotePort = h.RemotePort;
            h.Local.CopyTo(conn.Local, 0);
            conn.LocalLength = h.LocalLength;
            conn.LocalPort = h.LocalPort;
            conn.Scope = 0;
        }
        return true;
    }

    /// <summary>Moves a connection on once lookups finish; true when it is no longer pending.</summary>
    static bool Advance(Connection conn)
    {
        if (conn.Reading)
        {
            if (!conn.Header.Done) return false;
            return !Proxied(conn) || Begin(conn);
        }
        if (conn.RemotePtr is { Done: true } && conn.RemoteName == null && conn.RemoteA == null)
        {
            var name = DnsPacket.Name(conn.RemotePtr.Answer);
            conn.RemotePtr = null;
            if (name != null && flagParanoid)
            {
                var literal = Dns.Literal(name);
                if (literal != null) { if (!Contains(literal, conn.RemoteIp)) name = null; }
                else conn.RemoteA = new Dns(name, conn.RemoteLength == 16 ? Dns.AAAA : Dns.A);
            }
            conn.RemoteName = name ?? [];
        }
        if (conn.RemoteA is { Done: true })
        {
            if (!Contains(DnsPacket.Addresses(conn.RemoteA.Answer, conn.RemoteLength == 16 ? Dns.AAAA : Dns.A), conn.RemoteIp)) conn.RemoteName = [];
            conn.RemoteA = null;
        }
        if (conn.Waiting) return false;
        Finish(conn);
        return true;
    }

    static bool Contains(List<byte[]> ips, ReadOnlySpan<byte> ip)
    {
        foreach (var a in ips) if (a.AsSpan().SequenceEqual(ip)) return true;
        return false;
    }

    static void Finish(Connection conn)
    {
        byte[] localHost = localHostOption;
        if (localHost == null && conn.LocalPtr != null)
        {
            var name = DnsPacket.Name(conn.LocalPtr.Answer);
            if (name != null && name.Length > 0) localHost = name;
        }
        byte[] remoteHost = conn.RemoteName is { Length: > 0 } ? conn.RemoteName : null;
        byte[] remoteInfo = conn.Ident?.Info;
        Span<byte> localIpBuf = stackalloc byte[Ip.TextMax], remoteIpBuf = stackalloc byte[Ip.TextMax];
        Span<byte> localIp6Buf = stackalloc byte[Ip.TextMax], remoteIp6Buf = stackalloc byte[Ip.TextMax];
        Span<byte> remotePortBuf = stackalloc byte[20];
        var localIpText = localIpBuf.Slice(0, Ip.Text6(localIpBuf, conn.LocalIp, flag6));
        var remoteIpText = remoteIpBuf.Slice(0, Ip.Text6(remoteIpBuf, conn.RemoteIp, flag6));
        var localIp6Text = localIp6Buf.Slice(0, Ip.Text6(localIp6Buf, conn.LocalIp, true));
        var remoteIp6Text = remoteIp6Buf.Slice(0, Ip.Text6(remoteIp6Buf, conn.RemoteIp, true));
        var remotePortText = Decimal(remotePortBuf, (ulong)conn.RemotePort);
        // A PROXY header gives the port the client connected to.
        Span<byte> localPortBuf = stackalloc byte[20];
        ReadOnlySpan<byte> localPortText = flagProxy ? Decimal(localPortBuf, (ulong)conn.LocalPort) : Tcpserver.localPortText;
        bool tcp6 = conn.RemoteLength == 16 || flag6;

        var env = childEnv;
        env.Reset();
        env.Set("PROTO"u8, tcp6 ? "TCP6"u8 : "TCP"u8);
        env.Set("TCPLOCALIP"u8, localIpText);
        env.Set("TCPLOCALPORT"u8, localPortText);
        SetOrUnset("TCPLOCALHOST"u8, localHost);
        env.Set("TCPREMOTEIP"u8, remoteIpText);
        env.Set("TCPREMOTEPORT"u8, remotePortText);
        SetOrUnset("TCPREMOTEHOST"u8, remoteHost);
        SetOrUnset("TCPREMOTEINFO"u8, remoteInfo);
        // ucspi-tcp-ipv6 sets the TCP6 variables for IPv4 clients too (their addresses
        // IPv4-mapped), and TCP6INTERFACE only for an IPv6 connection with a scope (link-local).
        if (ipv6Mode)
        {
            env.Set("TCP6LOCALIP"u8, localIp6Text);
            env.Set("TCP6LOCALPORT"u8, localPortText);
            SetOrUnset("TCP6LOCALHOST"u8, localHost);
            if (tcp6 && conn.Scope != 0) env.Set("TCP6INTERFACE"u8, Net.InterfaceName(conn.Scope));
            env.Set("TCP6REMOTEIP"u8, remoteIp6Text);
            env.Set("TCP6REMOTEPORT"u8, remotePortText);
            SetOrUnset("TCP6REMOTEHOST"u8, remoteHost);
            SetOrUnset("TCP6REMOTEINFO"u8, remoteInfo);
        }
        if (flagProxy)
        {
            Span<byte> proxyIpBuf = stackalloc byte[Ip.TextMax];
            env.Set("PROXYREMOTEIP"u8, proxyIpBuf.Slice(0, Ip.Text6(proxyIpBuf, conn.ProxyIp, flag6)));
        }

        bool deny = false;
        var settings = new ConnectionLimits.Settings();
        if (rulesFile != null)
        {
            int err = RulesCheck(remoteIpText, remoteHost, remoteInfo, ref settings, out deny);
            if (err != 0)
            {
                Drop(conn, 111, "unable to read "u8, rulesFile, err, remoteIpText);
                return;
            }
        }

        // The log line's address fields, as djb writes them after "ok PID" or "deny PID".
        Span<byte> ends = stackalloc byte[LogLineMax];
        int e = 0;
        if (verbosity >= 2)
        {
            Put(ends, ref e, " "u8); Safe(ends, ref e, localHost);
            Put(ends, ref e, ":"u8); Safe(ends, ref e, ipv6Mode ? localIp6Text : localIpText, ipv6Mode || conn.LocalLength == 16);
            Put(ends, ref e, ":"u8); Safe(ends, ref e, localPortText);
            Put(ends, ref e, " "u8); Safe(ends, ref e, remoteHost);
            Put(ends, ref e, ":"u8); Safe(ends, ref e, ipv6Mode ? remoteIp6Text : remoteIpText, ipv6Mode || conn.RemoteLength == 16);
            Put(ends, ref e, ":"u8); Safe(ends, ref e, remoteInfo);
            Put(ends, ref e, ":"u8); Safe(ends, ref e, remotePortText);
        }
        var limit = deny || limits == null ? ConnectionLimits.Limit.None : limits.Admit(conn.RemoteIp, settings);
        if (limit != ConnectionLimits.Limit.None)
        {
            Refuse(conn, limit, settings, ends.Slice(0, e));
            return;
        }

        int pid;
        if (deny) pid = Native.tk_spawn_exit(100);
        else
        {
            pid = Exec.SpawnStart(programArgv, env, [FdAction.Dup2(conn.Fd, 0), FdAction.Dup2(conn.Fd, 1)], ChildDefaults, out var launch);
            if (pid >= 0)
            {
                launching.Add(launch);
                limits?.Started(pid, conn.RemoteIp);
            }
        }
        Native.close(conn.Fd);
        if (ForkFailed(pid)) return;
        if (verbosity >= 2)
        {
            Span<byte> pidBuf = stackalloc byte[20];
            var pidText = Decimal(pidBuf, (ulong)pid);
            Errors.Warn("tcpserver: pid "u8, pidText, " from "u8, remoteIpText);
            Span<byte> line = stackalloc byte[LogLineMax];
            int n = 0;
            Put(line, ref n, "tcpserver: "u8);
            Safe(line, ref n, deny ? "deny"u8 : "ok"u8);
            Put(line, ref n, " "u8); Safe(line, ref n, pidText);
            Errors.Warn(line.Slice(0, n), ends.Slice(0, e));
        }
    }

    /// <summary>A connection over a limit: DIEMSG and CRLF to the client if the rule sets it,
    /// closed, and with -v a line like the deny line naming the limit instead of a pid (no
    /// child is started for it).</summary>
    static void Refuse(Connection conn, ConnectionLimits.Limit limit, in ConnectionLimits.Settings settings, ReadOnlySpan<byte> ends)
    {
        if (settings.DieMsg != null)
        {
            Span<byte> msg = stackalloc byte[DieMsgMax + 2];
            int m = Math.Min(settings.DieMsg.Length, DieMsgMax);
            settings.DieMsg.AsSpan(0, m).CopyTo(msg);
            "\r\n"u8.CopyTo(msg.Slice(m));
            Net.Send(conn.Fd, msg.Slice(0, m + 2), Native.MSG_DONTWAIT);
        }
        Native.close(conn.Fd);
        if (verbosity >= 2)
        {
            limits.Describe(limit, settings, out var name, out var value);
            Span<byte> line = stackalloc byte[LogLineMax];
            int n = 0;
            Put(line, ref n, "tcpserver: limit "u8);
            Safe(line, ref n, name);
            Put(line, ref n, "="u8);
            Safe(line, ref n, value);
            Errors.Warn(line.Slice(0, n), ends);
        }
        Uncount();
    }

    // A DIEMSG is written without waiting, into a fresh socket's empty buffer: a line of text.
    const int DieMsgMax = 1024;

    /// <summary>A connection counted at accept that has no child after all.</summary>
    static void Uncount()
    {
        numChildren--;
        PrintStatus();
    }

    static void SetOrUnset(ReadOnlySpan<byte> name, byte[] value)
    {
        if (value == null) childEnv.Unset(name);
        else childEnv.Set(name, value);
    }

    /// <summary>The rules for this connection (-x), read afresh each time: their variables are
    /// set in the child's environment; an error number if the cdb cannot be read (a missing one
    /// is fine with -X).</summary>
    static int RulesCheck(ReadOnlySpan<byte> ip, byte[] host, byte[] info, ref ConnectionLimits.Settings settings, out bool deny)
    {
        deny = false;
        var found = Rules.Find(rulesFile, ip, host, info, out var rule, out int errno);
        if (found == Found.Error) return errno == Native.ENOENT && flagAllowNoRules ? 0 : errno;
        if (found == Found.Yes)
        {
            deny = rule.Denies;
            foreach (var (name, value) in rule.Variables())
            {
                childEnv.Set(name, value);
                ConnectionLimits.Take(ref settings, name, value);
            }
            if (settings.Bad != null && verbosity > 0)
                Errors.Warn("tcpserver: warning: ignoring "u8, settings.Bad, " of rule "u8, rule.Key, " in "u8, rulesFile, ": bad value"u8);
        }
        return 0;
    }

    static bool ForkFailed(int pid)
    {
        if (pid >= 0) return false;
        Warn("unable to fork: "u8, errno: -pid);
        Uncount();
        return true;
    }

    // The "ok" line: nine fields of at most 103 bytes (Safe) and their separators.
    const int LogLineMax = 1024;

    static void Put(Span<byte> line, ref int n, ReadOnlySpan<byte> s)
    {
        s.CopyTo(line.Slice(n));
        n += s.Length;
    }

    /// <summary>A log field as djb's safecats writes it: at most 100 bytes, odd ones as '?'.</summary>
    static void Safe(Span<byte> line, ref int n, ReadOnlySpan<byte> s, bool keepColons = false)
    {
        for (int i = 0; i < 100; i++)
        {
            if (i == s.Length) return;
            byte ch = s[i];
            if (ch < 33 || ch > 126 || ch == '%' || (ch == ':' && !keepColons)) ch = (byte)'?';
            line[n++] = ch;
        }
        Put(line, ref n, "..."u8);
    }

    /// <summary>A connection given up after it was counted: what djb's child would print, then
    /// a child exiting with his child's code so that the "end" line is the same.</summary>
    static void Drop(Connection conn, int code, ReadOnlySpan<byte> what, ReadOnlySpan<byte> name, int errno, ReadOnlySpan<byte> remoteIpText = default)
    {
        Native.close(conn.Fd);
        int pid = Native.tk_spawn_exit(code);
        if (ForkFailed(pid)) return;
        if (verbosity >= 2)
        {
            Span<byte> pidBuf = stackalloc byte[20], ipBuf = stackalloc byte[Ip.TextMax];
            ReadOnlySpan<byte> ipText = remoteIpText.IsEmpty ? ipBuf.Slice(0, Ip.Text6(ipBuf, conn.RemoteIp, flag6)) : remoteIpText;
            Errors.Warn("tcpserver: pid "u8, Decimal(pidBuf, (ulong)pid), " from "u8, ipText);
        }
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
