// IPv4 and IPv6 sockets through raw libc calls (djb's socket_* functions), IP address text forms,
// port names from /etc/services, and a monotonic millisecond clock for deadlines.
namespace Toolkit;

/// <summary>A socket operation driven by poll(2): wait for Events on Fd until Deadline, then Step.</summary>
public interface IPollTask
{
    int Fd { get; }
    short Events { get; }
    long Deadline { get; }
    bool Done { get; }
    /// <summary>Advances after poll: revents for Fd, or 0 when the deadline may have passed.</summary>
    void Step(short revents);
}

public static unsafe class Net
{
    /// <summary>A non-blocking or blocking close-on-exec TCP or UDP socket, or -1.</summary>
    public static int Socket(int type, bool nonBlocking, bool ipv6 = false) =>
        Native.socket(ipv6 ? Native.AF_INET6 : Native.AF_INET, type | Native.SOCK_CLOEXEC | (nonBlocking ? Native.SOCK_NONBLOCK : 0), 0);

    /// <summary>A sockaddr_in (4-byte ip) or sockaddr_in6 (16-byte ip, with the scope id of a
    /// link-local address); returns its length.</summary>
    static int Fill(byte* sa, ReadOnlySpan<byte> ip, int port, uint scope)
    {
        new Span<byte>(sa, 28).Clear();
        sa[2] = (byte)(port >> 8);
        sa[3] = (byte)port;
        if (ip.Length == 16)
        {
            sa[0] = Native.AF_INET6;
            ip.CopyTo(new Span<byte>(sa + 8, 16));
            *(uint*)(sa + 24) = scope;
            return 28;
        }
        sa[0] = Native.AF_INET;
        ip.Slice(0, 4).CopyTo(new Span<byte>(sa + 4, 4));
        return 16;
    }

    public static int Bind(int fd, ReadOnlySpan<byte> ip, int port, bool reuse, uint scope = 0)
    {
        if (reuse) SetOption(fd, Native.SOL_SOCKET, Native.SO_REUSEADDR, 1);
        byte* sa = stackalloc byte[28];
        return Native.bind(fd, sa, Fill(sa, ip, port, scope));
    }

    /// <summary>connect(2); on a non-blocking socket -1 with EINPROGRESS means "poll for POLLOUT".</summary>
    public static int Connect(int fd, ReadOnlySpan<byte> ip, int port, uint scope = 0)
    {
        byte* sa = stackalloc byte[28];
        int len = Fill(sa, ip, port, scope);
        int r;
        do r = Native.connect(fd, sa, len); while (r == -1 && Native.Errno == Native.EINTR);
        return r;
    }

    /// <summary>The pending error of a socket after a non-blocking connect (0: connected).</summary>
    public static int SocketError(int fd)
    {
        int err = 0, len = 4;
        if (Native.getsockopt(fd, Native.SOL_SOCKET, Native.SO_ERROR, &err, &len) == -1) return Native.Errno;
        return err;
    }

    /// <summary>accept4 with the peer's address in ip (4 bytes for IPv4 and IPv4-mapped peers,
    /// else 16: its length in ipLength) and port; the new descriptor is close-on-exec. -1 on
    /// failure.</summary>
    public static int Accept(int fd, Span<byte> ip, out int ipLength, out int port, bool nonBlocking)
    {
        byte* sa = stackalloc byte[128];
        int len = 128;
        int t = Native.accept4(fd, sa, &len, Native.SOCK_CLOEXEC | (nonBlocking ? Native.SOCK_NONBLOCK : 0));
        ipLength = port = 0;
        if (t == -1) return -1;
        ipLength = Read(sa, ip, out port);
        return t;
    }

    public static byte[] Local(int fd, out int port) => Name(fd, out port, local: true);
    public static byte[] Remote(int fd, out int port) => Name(fd, out port, local: false);

    /// <summary>The local address of a socket into ip, as Accept gives the peer's, with the scope
    /// id of an IPv6 address; its length, or -1.</summary>
    public static int Local(int fd, Span<byte> ip, out int port, out uint scope) => Name(fd, ip, out port, out scope, local: true);

    static byte[] Name(int fd, out int port, bool local)
    {
        Span<byte> ip = stackalloc byte[16];
        int n = Name(fd, ip, out port, out _, local);
        return n < 0 ? null : ip.Slice(0, n).ToArray();
    }

    static int Name(int fd, Span<byte> ip, out int port, out uint scope, bool local)
    {
        byte* sa = stackalloc byte[128];
        int len = 128;
        port = 0;
        scope = 0;
        if ((local ? Native.getsockname(fd, sa, &len) : Native.getpeername(fd, sa, &len)) == -1) return -1;
        if (sa[0] == Native.AF_INET6) scope = *(uint*)(sa + 24);
        return Read(sa, ip, out port);
    }

    static int Read(byte* sa, Span<byte> ip, out int port)
    {
        port = sa[2] << 8 | sa[3];
        var from = sa[0] != Native.AF_INET6 ? new ReadOnlySpan<byte>(sa + 4, 4) : new ReadOnlySpan<byte>(sa + 8, 16);
        if (from.Length == 16 && IsMapped(from)) from = from.Slice(12);
        from.CopyTo(ip);
        return from.Length;
    }

    /// <summary>::ffff:a.b.c.d, an IPv4 client of a dual-stack socket.</summary>
    public static bool IsMapped(ReadOnlySpan<byte> ip16) =>
        ip16.Slice(0, 10).IndexOfAnyExcept((byte)0) < 0 && ip16[10] == 0xff && ip16[11] == 0xff;

    /// <summary>The 4-byte form of an IPv4-mapped address; any other as it is.</summary>
    public static byte[] Unmapped(byte[] ip) => ip.Length == 16 && IsMapped(ip) ? ip[12..] : ip;

    /// <summary>An address for an IPv4 socket as ucspi-tcp-ipv6 gives it one (-4): IPv4-mapped ones
    /// as IPv4, :: too to bind, ::1 as 127.0.0.1 to connect; other IPv6 addresses stay, so that
    /// bind or connect fails as it does there ("address family not supported").</summary>
    public static byte[] OnIpv4Socket(byte[] ip, bool connect)
    {
        if (ip.Length == 4 || IsMapped(ip)) return Unmapped(ip);
        int nonzero = ip.AsSpan().IndexOfAnyExcept((byte)0);
        if (nonzero < 0 && !connect) return new byte[4];
        if (nonzero == 15 && ip[15] == 1 && connect) return [127, 0, 0, 1];
        return ip;
    }

    /// <summary>The IPv4-mapped form of a 4-byte address.</summary>
    public static byte[] Mapped(ReadOnlySpan<byte> ip4)
    {
        var r = new byte[16];
        Mapped(r, ip4);
        return r;
    }

    static void Mapped(Span<byte> dst, ReadOnlySpan<byte> ip4)
    {
        dst.Slice(0, 10).Clear();
        dst[10] = dst[11] = 0xff;
        ip4.CopyTo(dst.Slice(12));
    }

    /// <summary>The longest text of an address (FormatIp).</summary>
    public const int IpTextMax = 40;

    /// <summary>Text of an IPv4 (dotted) or IPv6 address (lower-case hex, the longest run of two or
    /// more zero groups as "::", a mapped address as ::ffff:a.b.c.d).</summary>
    public static byte[] FormatIp(ReadOnlySpan<byte> ip)
    {
        Span<byte> b = stackalloc byte[IpTextMax];
        return b.Slice(0, FormatIp(b, ip)).ToArray();
    }

    /// <summary>FormatIp into dst (IpTextMax bytes at most); returns the length.</summary>
    public static int FormatIp(Span<byte> dst, ReadOnlySpan<byte> ip)
    {
        if (ip.Length == 4) return FormatIp4(dst, ip);
        if (IsMapped(ip))
        {
            "::ffff:"u8.CopyTo(dst);
            return 7 + FormatIp4(dst.Slice(7), ip.Slice(12));
        }
        int bestStart = -1, bestLen = 1;
        for (int i = 0; i < 8;)
        {
            if (ip[2 * i] != 0 || ip[2 * i + 1] != 0) { i++; continue; }
            int j = i;
            while (j < 8 && ip[2 * j] == 0 && ip[2 * j + 1] == 0) j++;
            if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
            i = j;
        }
        int n = 0;
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart) { dst[n++] = (byte)':'; dst[n++] = (byte)':'; i += bestLen - 1; continue; }
            if (n > 0 && dst[n - 1] != ':') dst[n++] = (byte)':';
            int w = ip[2 * i] << 8 | ip[2 * i + 1];
            bool started = false;
            for (int shift = 12; shift >= 0; shift -= 4)
            {
                int d = (w >> shift) & 15;
                if (d == 0 && !started && shift > 0) continue;
                started = true;
                dst[n++] = (byte)(d < 10 ? '0' + d : 'a' + d - 10);
            }
        }
        return n;
    }

    /// <summary>An address as ucspi-tcp-ipv6 writes it into TCPLOCALIP and the like: an IPv4 (or
    /// IPv4-mapped) address dotted, unless forced to IPv6 text (-6); IPv6 ones in IPv6 text.</summary>
    public static byte[] Text6(ReadOnlySpan<byte> ip, bool force6)
    {
        Span<byte> b = stackalloc byte[IpTextMax];
        return b.Slice(0, Text6(b, ip, force6)).ToArray();
    }

    /// <summary>Text6 into dst (IpTextMax bytes at most); returns the length.</summary>
    public static int Text6(Span<byte> dst, ReadOnlySpan<byte> ip, bool force6)
    {
        if (ip.Length != 4 || !force6) return FormatIp(dst, ip);
        Span<byte> mapped = stackalloc byte[16];
        Mapped(mapped, ip);
        return FormatIp(dst, mapped);
    }

    /// <summary>The index of a network interface (if_nametoindex; 0 if there is none of that name).</summary>
    public static uint InterfaceIndex(byte[] name)
    {
        fixed (byte* z = Args.Z(name)) return Native.if_nametoindex(z);
    }

    /// <summary>The name of interface number index, or "[unknown]" as ucspi-tcp-ipv6 writes it.</summary>
    public static byte[] InterfaceName(uint index)
    {
        byte* name = stackalloc byte[16];
        if (Native.if_indextoname(index, name) == null) return "[unknown]"u8.ToArray();
        return new ReadOnlySpan<byte>(name, new ReadOnlySpan<byte>(name, 16).IndexOf((byte)0)).ToArray();
    }

    public static void SetOption(int fd, int level, int name, int value) =>
        Native.setsockopt(fd, level, name, &value, 4);

    /// <summary>setsockopt(IP_OPTIONS, none): drop source-routing options (socket_ipoptionskill).</summary>
    public static void KillIpOptions(int fd) => Native.setsockopt(fd, Native.IPPROTO_IP, Native.IP_OPTIONS, null, 0);

    /// <summary>Dotted-quad text of a 4-byte address (ip4_fmt) into dst; returns the length.</summary>
    static int FormatIp4(Span<byte> dst, ReadOnlySpan<byte> ip)
    {
        int n = 0;
        for (int i = 0; i < 4; i++)
        {
            if (i > 0) dst[n++] = (byte)'.';
            n += Numbers.Format(dst.Slice(n), ip[i]);
        }
        return n;
    }

    /// <summary>djb's ip4_scan: "a.b.c.d" with numbers up to 255; returns the bytes used, 0 if not an address.</summary>
    public static int ScanIp4(ReadOnlySpan<byte> s, Span<byte> ip)
    {
        int pos = 0;
        for (int i = 0; i < 4; i++)
        {
            if (i > 0)
            {
                if (pos >= s.Length || s[pos] != '.') return 0;
                pos++;
            }
            int n = Numbers.ScanULong(s.Slice(pos), out ulong v);
            if (n == 0 || v > 255) return 0;
            ip[i] = (byte)v;
            pos += n;
        }
        return pos;
    }

    /// <summary>An IPv6 address in text form (with "::" and a trailing dotted quad allowed).</summary>
    public static bool ScanIp6(ReadOnlySpan<byte> s, out byte[] ip)
    {
        ip = new byte[16];
        Span<ushort> words = stackalloc ushort[8];
        int n = 0, gap = -1, pos = 0;
        if (s.StartsWith("::"u8)) { gap = 0; pos = 2; }
        while (pos < s.Length)
        {
            if (n == 8) return false;
            int start = pos;
            uint v = 0;
            while (pos < s.Length && pos - start < 5 && HexValue(s[pos]) >= 0) v = v * 16 + (uint)HexValue(s[pos++]);
            if (pos < s.Length && s[pos] == '.' && n <= 6)
            {
                Span<byte> v4 = stackalloc byte[4];
                if (ScanIp4(s.Slice(start), v4) != s.Length - start) return false;
                words[n++] = (ushort)(v4[0] << 8 | v4[1]);
                words[n++] = (ushort)(v4[2] << 8 | v4[3]);
                pos = s.Length;
                break;
            }
            if (pos == start || pos - start > 4) return false;
            words[n++] = (ushort)v;
            if (pos == s.Length) break;
            if (s[pos] != ':') return false;
            pos++;
            if (pos < s.Length && s[pos] == ':') { if (gap >= 0) return false; gap = n; pos++; }
            else if (pos == s.Length) return false;
        }
        if (gap < 0 && n != 8) return false;
        if (gap >= 0 && n == 8) return false;
        int fill = 8 - n;
        for (int i = 0, w = 0; i < 8; i++)
        {
            ushort word = 0;
            if (gap >= 0 && i >= gap && i < gap + fill) word = 0;
            else word = words[w++];
            ip[2 * i] = (byte)(word >> 8);
            ip[2 * i + 1] = (byte)word;
        }
        return true;
    }

    static int HexValue(byte c) =>
        c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

    /// <summary>A TCP port: all digits (as djb: an empty string is port 0), or a name from /etc/services.</summary>
    public static bool Port(ReadOnlySpan<byte> text, out int port)
    {
        if (Numbers.ScanULong(text, out ulong u) == text.Length) { port = (ushort)u; return true; }
        port = 0;
        var services = Files.ReadAll("/etc/services"u8, out _);
        if (services == null) return false;
        ReadOnlySpan<byte> rest = services;
        while (rest.Length > 0)
        {
            int end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest.Slice(0, end);
            rest = end < 0 ? default : rest.Slice(end + 1);
            int hash = line.IndexOf((byte)'#');
            if (hash >= 0) line = line.Slice(0, hash);
            var name = Word(ref line);
            var number = Word(ref line);
            int slash = number.IndexOf((byte)'/');
            if (slash < 0 || !number.Slice(slash + 1).SequenceEqual("tcp"u8)) continue;
            bool match = name.SequenceEqual(text);
            for (var alias = Word(ref line); !match && alias.Length > 0; alias = Word(ref line))
                match = alias.SequenceEqual(text);
            if (!match) continue;
            if (Numbers.ScanULong(number, out u) != slash || slash == 0) continue;
            port = (ushort)u;
            return true;
        }
        return false;
    }

    static ReadOnlySpan<byte> Word(ref ReadOnlySpan<byte> line)
    {
        int i = 0;
        while (i < line.Length && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
        int j = i;
        while (j < line.Length && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') j++;
        var w = line.Slice(i, j - i);
        line = line.Slice(j);
        return w;
    }

    /// <summary>Runs one task to completion, blocking.</summary>
    public static void Drive(IPollTask task)
    {
        var pfd = new Native.PollFd();
        while (!task.Done)
        {
            pfd.Fd = task.Fd; pfd.Events = task.Events; pfd.Revents = 0;
            long wait = task.Deadline - Now();
            if (wait > 0 && Native.poll(&pfd, 1, (int)Math.Min(wait, int.MaxValue)) == -1) continue;
            task.Step(pfd.Revents);
        }
    }

    /// <summary>Milliseconds on the monotonic clock.</summary>
    public static long Now()
    {
        Native.TimeSpec ts;
        Native.clock_gettime(1, &ts);
        return ts.Sec * 1000 + ts.Nsec / 1000000;
    }
}
