// IPv4 and IPv6 sockets through raw libc calls (djb's socket_* functions). Addresses are
// bytes (core/Ip.cs); a port is a number (core/Services.cs reads names).
namespace Toolkit;

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
        return Ip.Unmap(from, ip);
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

    /// <summary>send(2) without SIGPIPE, with flags (MSG_DONTWAIT: never wait): bytes sent, or -1.</summary>
    public static int Send(int fd, ReadOnlySpan<byte> buf, int flags = 0)
    {
        fixed (byte* p = buf) return (int)Native.send(fd, p, buf.Length, flags | Native.MSG_NOSIGNAL);
    }

    /// <summary>recv(2) with flags (MSG_DONTWAIT: never wait, -1 with EAGAIN if nothing has come;
    /// MSG_PEEK: leave the bytes queued): bytes received, 0 at the end, or -1.</summary>
    public static int Recv(int fd, Span<byte> buf, int flags = 0)
    {
        fixed (byte* p = buf) return (int)Native.recv(fd, p, buf.Length, flags);
    }

}
