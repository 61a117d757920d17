// tcpclient OPTS HOST PORT PROGRAM...: connect to HOST:PORT and run PROGRAM with the socket
// on fds 6 (read) and 7 (write) and the TCP* variables describing the connection.
using System.Collections.Generic;
using Toolkit;

static class Tcpclient
{
    static ReadOnlySpan<byte> Fatal => "tcpclient: fatal: "u8;
    static int verbosity = 1;
    // ucspi-tcp-ipv6's behaviour (see docs/tcpclient.md) once one of its options or an IPv6
    // address is given; without them everything is 0.88's IPv4 tcpclient.
    static bool ipv6Mode, flag4, flag6;
    static uint netif;

    static void Usage() => Errors.Die(100, ipv6Mode
        ? "tcpclient: usage: tcpclient [ -46hHrRdDqQv ] [ -i localip ] [ -p localport ] [ -T timeoutconn ] [ -l localname ] [ -t timeoutinfo ] [ -I interface ] host port program"u8
        : "tcpclient: usage: tcpclient [ -hHrRdDqQv ] [ -i localip ] [ -p localport ] [ -T timeoutconn ] [ -l localname ] [ -t timeoutinfo ] host port program"u8);

    static void Die(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b = default, ReadOnlySpan<byte> c = default, int errno = -1)
    {
        if (verbosity > 0)
        {
            if (errno >= 0) Errors.WarnSys(errno, Fatal, a, b, c);
            else Errors.Warn(Fatal, a, b, c);
        }
        Errors.Exit(111);
    }

    internal static int Main()
    {
        var argv = Args.Argv;
        bool flagDelay = true, flagRemoteHost = true, flagRemoteInfo = true;
        ulong infoTimeout = 26, portLocal = 0;
        var connTimeout = new ulong[] { 2, 58 };
        byte[] forceLocal = null;
        byte[] ipLocal = null, ipLocalText = null;
        var opt = new Getopt(argv, "dDvqQhHrRi:p:t:T:l:46I:");
        int c;
        while ((c = opt.Next()) != Getopt.Done)
        {
            switch (c)
            {
                case 'd': flagDelay = true; break;
                case 'D': flagDelay = false; break;
                case 'v': verbosity = 2; break;
                case 'q': verbosity = 0; break;
                case 'Q': verbosity = 1; break;
                case 'l': forceLocal = opt.Arg; break;
                case 'H': flagRemoteHost = false; break;
                case 'h': flagRemoteHost = true; break;
                case 'R': flagRemoteInfo = false; break;
                case 'r': flagRemoteInfo = true; break;
                case 't': Numbers.ScanULong(opt.Arg, out infoTimeout); break;
                case 'T':
                    int j = Numbers.ScanULong(opt.Arg, out connTimeout[0]);
                    if (j < opt.Arg.Length && opt.Arg[j] == '+') j++;
                    Numbers.ScanULong(opt.Arg.AsSpan(j), out connTimeout[1]);
                    break;
                case 'i':
                    ipLocalText = opt.Arg;
                    if (opt.Arg.AsSpan().IndexOf((byte)':') >= 0) ipv6Mode = true;
                    break;
                case '4': flag4 = ipv6Mode = true; break;
                case '6': flag6 = ipv6Mode = true; break;
                case 'I': netif = Net.InterfaceIndex(opt.Arg); ipv6Mode = true; break;
                case 'p': Numbers.ScanULong(opt.Arg, out portLocal); break;
                default: Usage(); break;
            }
        }
        var rest = argv[opt.Index..];
        if (rest.Length < 1) Quiet(Usage);
        var hostname = rest[0];
        if (hostname.AsSpan().IndexOf((byte)':') >= 0) ipv6Mode = true;
        if (ipLocalText != null) ipLocal = LocalIp(ipLocalText);
        if (hostname.Length == 0 || hostname.AsSpan().SequenceEqual("0"u8))
            hostname = ipv6Mode && !flag4 ? "::1"u8.ToArray() : "127.0.0.1"u8.ToArray();
        if (rest.Length < 2) Quiet(Usage);
        if (!Services.Port(rest[1], out int portRemote)) Die("unable to figure out port number for "u8, rest[1]);
        if (rest.Length < 3) Quiet(Usage);

        var addresses = DnsQualify.Addresses(hostname, ipv6Mode, out int dnsErrno);
        // A name with IPv6 addresses only is looked up as ucspi-tcp-ipv6 does.
        if (addresses is { Count: 0 } && !ipv6Mode)
        {
            ipv6Mode = true;
            addresses = DnsQualify.Addresses(hostname, true, out dnsErrno);
        }
        if (addresses == null) Die("temporarily unable to figure out IP address for "u8, hostname, ": "u8, dnsErrno);
        if (addresses.Count == 0) Die("no IP address for "u8, hostname);
        if (addresses.Count == 1) { connTimeout[0] += connTimeout[1]; connTimeout[1] = 0; }

        int s = Connect(addresses, portRemote, ipLocal, (int)portLocal, connTimeout);
        if (!flagDelay) Net.SetOption(s, Native.IPPROTO_TCP, Native.TCP_NODELAY, 1);
        ipLocal = Net.Local(s, out int localPort);
        if (ipLocal == null) Die("unable to get local address: "u8, errno: Native.Errno);
        var ipRemote = Net.Remote(s, out portRemote);
        if (ipRemote == null) Die("unable to get remote address: "u8, errno: Native.Errno);
        Exec.SetEnv("PROTO"u8, ipRemote.Length == 16 || flag6 ? "TCP6"u8 : "TCP"u8);
        Set("TCPLOCALPORT"u8, Numbers.Text((ulong)localPort));
        Set("TCPLOCALIP"u8, Ip.Text6(ipLocal, flag6));
        Set("TCPLOCALHOST"u8, forceLocal ?? HostName(ipLocal));
        var portText = Numbers.Text((ulong)portRemote);
        var ipText = Ip.Text6(ipRemote, flag6);
        Set("TCPREMOTEPORT"u8, portText);
        Set("TCPREMOTEIP"u8, ipText);
        if (verbosity >= 2) Errors.Warn("tcpclient: connected to "u8, ipText, " port "u8, portText);
        Set("TCPREMOTEHOST"u8, flagRemoteHost ? HostName(ipRemote) : null);
        Set("TCPREMOTEINFO"u8, flagRemoteInfo ? Ident.Lookup(ipLocal, localPort, ipRemote, portRemote, (int)Math.Min(infoTimeout, int.MaxValue / 1000)) : null);

        if (s != 6 && Native.dup2(s, 6) == -1) Die("unable to set up descriptor 6: "u8, errno: Native.Errno);
        if (s == 6) Native.fcntl(6, Native.F_SETFD, 0);
        else Native.close(s);
        if (Native.dup2(6, 7) == -1) Die("unable to set up descriptor 7: "u8, errno: Native.Errno);
        int err = Exec.Run(rest[2..]);
        Die("unable to run "u8, rest[2], ": "u8, err);
        return 111;
    }

    /// <summary>NAME=value, or NAME unset when value is null.</summary>
    static void Set(ReadOnlySpan<byte> name, byte[] value) => Exec.SetEnv(name, value, value == null);

    /// <summary>The -i address: dotted (djb's ip4_scan, which reads a prefix), or with
    /// ucspi-tcp-ipv6's options an IPv6 address.</summary>
    static byte[] LocalIp(byte[] text)
    {
        var ip = new byte[4];
        if (Ip.Scan4(text, ip) != 0) return ip;
        if (!ipv6Mode || !Ip.Scan6(text, out ip)) Usage();
        return ip;
    }

    static void Quiet(Action usage)
    {
        if (verbosity == 0) Errors.Exit(100);
        usage();
    }

    /// <summary>dns_name4 as tcpclient uses it: the PTR name, "" if there is none, null on failure.</summary>
    static byte[] HostName(byte[] ip)
    {
        var answer = Dns.Resolve(DnsPacket.ReverseName(ip), Dns.PTR);
        return answer == null ? null : DnsPacket.Name(answer) ?? [];
    }

    /// <summary>Every address with the first timeout, then those that timed out with the second.</summary>
    static int Connect(List<byte[]> addresses, int port, byte[] ipLocal, int portLocal, ulong[] timeouts)
    {
        for (int loop = 0; loop < 2; loop++)
        {
            var more = new List<byte[]>();
            foreach (var ip in addresses)
            {
                bool six = ip.Length == 16 && !flag4;
                int s = Net.Socket(Native.SOCK_STREAM, nonBlocking: true, six);
                if (s == -1) Die("unable to create socket: "u8, errno: Native.Errno);
                var local = ipLocal ?? new byte[ip.Length];
                if (six && local.Length == 4) local = Ip.Mapped(local);
                if (Net.Bind(s, six ? local : Ip.OnIpv4Socket(local, connect: false), portLocal, reuse: false, netif) == -1) Die("unable to bind socket: "u8, errno: Native.Errno);
                int err = TimeoutConnect(s, six ? ip : Ip.OnIpv4Socket(ip, connect: true), port, timeouts[loop]);
                if (err == 0)
                {
                    Native.fcntl(s, Native.F_SETFL, 0);
                    return s;
                }
                Native.close(s);
                if (loop == 0 && timeouts[1] != 0 && err == Native.ETIMEDOUT) more.Add(ip);
                else if (verbosity > 0)
                    Errors.WarnSys(err, "tcpclient: unable to connect to "u8, Ip.Format(Ip.Unmapped(ip)), " port "u8, Numbers.Text((ulong)port), ": "u8);
            }
            addresses = more;
        }
        Errors.Exit(111);
        return -1;
    }

    static int TimeoutConnect(int s, byte[] ip, int port, ulong seconds)
    {
        if (Net.Connect(s, ip, port, netif) == 0) return 0;
        if (Native.Errno != Native.EINPROGRESS) return Native.Errno;
        long deadline = Clock.Now() + (long)Math.Min(seconds, int.MaxValue / 1000) * 1000;
        return Poll.Ready(s, Native.POLLOUT, deadline) ? Net.SocketError(s) : Native.ETIMEDOUT;
    }
}
