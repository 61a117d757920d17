// The PROXY protocol header (haproxy's proxy-protocol.txt, version 1 text and version 2 binary)
// that a load balancer sends before the client's bytes: read from a connection without waiting
// (a poll task, so that a server reads many at once) and without taking a byte past its end,
// then parsed strictly: anything that is not exactly a header is refused.
namespace Toolkit;

public sealed class ProxyHeader : IPollTask
{
    public enum Outcome
    {
        /// <summary>Still reading.</summary>
        Reading,
        /// <summary>The header gives the client's and the proxy's addresses (TCP over IPv4 or IPv6).</summary>
        Proxied,
        /// <summary>A LOCAL or UNKNOWN header (a health check, an unsupported family): the
        /// connection's own addresses stand.</summary>
        Local,
        /// <summary>No valid header: Why says what went wrong.</summary>
        Failed,
    }

    // The longest version 1 line including CRLF, the fixed part of version 2 and its TCP over IPv6
    // address block (the longest one used; longer blocks and TLVs are read and skipped).
    const int V1Max = 107, V2Fixed = 16, V2Inet = 12, V2Inet6 = 36, PortMax = 65535;
    static ReadOnlySpan<byte> V1Signature => "PROXY "u8;
    static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];
    const int SkipChunk = 512, Ip4TextMax = 15;

    readonly byte[] buf = new byte[V1Max + 1];
    int got;   // bytes of the header consumed so far (those beyond buf are skipped)
    int total; // the header's length once known, else -1

    public int Fd { get; private set; }
    public short Events => Native.POLLIN;
    public long Deadline { get; private set; }
    public bool Done => Result != Outcome.Reading;
    public Outcome Result { get; private set; }
    public byte[] Why { get; private set; }

    /// <summary>The client's (Remote) and the address it connected to (Local), when Proxied:
    /// 4 bytes for IPv4 and IPv4-mapped addresses, else 16, as Net.Accept gives them.</summary>
    public readonly byte[] Remote = new byte[16], Local = new byte[16];
    public int RemoteLength, LocalLength, RemotePort, LocalPort;

    /// <summary>Starts reading the header of the connection fd, to be done by deadline (Clock).</summary>
    public void Start(int fd, long deadline)
    {
        Fd = fd;
        Deadline = deadline;
        Result = Outcome.Reading;
        Why = null;
        got = 0;
        total = -1;
    }

    public void Step(short revents)
    {
        if (revents == 0)
        {
            if (Clock.Now() >= Deadline) Fail("timed out"u8);
            return;
        }
        int n;
        if (total >= 0)
        {
            // Version 2 with its length known: take exactly the rest, what does not fit skipped.
            Span<byte> skip = stackalloc byte[SkipChunk];
            int want = total - got;
            var into = got < buf.Length ? buf.AsSpan(got, Math.Min(want, buf.Length - got)) : skip.Slice(0, Math.Min(want, SkipChunk));
            n = Net.Recv(Fd, into, Native.MSG_DONTWAIT);
            if (!Received(n)) return;
            got += n;
        }
        else
        {
            // Look at what has come, then take only the header's part of it.
            n = Net.Recv(Fd, buf.AsSpan(got), Native.MSG_DONTWAIT | Native.MSG_PEEK);
            if (!Received(n)) return;
            int take = Take(buf.AsSpan(0, got + n));
            if (take < 0) return;
            n = Net.Recv(Fd, buf.AsSpan(got, take), Native.MSG_DONTWAIT);
            if (n != take) { Fail("unable to read"u8); return; }
            got += n;
        }
        if (got == total) Finish();
    }

    /// <summary>Whether recv gave bytes; an end or an error ends the reading.</summary>
    bool Received(int n)
    {
        if (n > 0) return true;
        if (n == 0) Fail("connection closed"u8);
        else if (Native.Errno != Native.EAGAIN) Fail(Errors.Text(Native.Errno));
        return false;
    }

    /// <summary>How many of the bytes after got (all of seen) belong to the header, setting total
    /// once it is known; -1 if seen cannot start a header.</summary>
    int Take(ReadOnlySpan<byte> seen)
    {
        int fresh = seen.Length - got;
        if (Starts(seen, V1Signature))
        {
            int lf = seen.Slice(got).IndexOf((byte)'\n');
            if (lf < 0)
            {
                if (seen.Length >= V1Max) return Failed("no CRLF in the first 107 bytes"u8);
                return fresh;
            }
            total = got + lf + 1;
            if (total > V1Max) return Failed("no CRLF in the first 107 bytes"u8);
            return lf + 1;
        }
        if (Starts(seen, V2Signature))
        {
            if (seen.Length < V2Fixed) return fresh;
            total = V2Fixed + (seen[14] << 8 | seen[15]);
            return Math.Min(fresh, total - got);
        }
        return Failed("not a PROXY header"u8);
    }

    /// <summary>Whether seen and the signature agree on their common length.</summary>
    static bool Starts(ReadOnlySpan<byte> seen, ReadOnlySpan<byte> signature)
    {
        int n = Math.Min(seen.Length, signature.Length);
        return seen.Slice(0, n).SequenceEqual(signature.Slice(0, n));
    }

    int Failed(ReadOnlySpan<byte> why)
    {
        Fail(why);
        return -1;
    }

    void Fail(ReadOnlySpan<byte> why)
    {
        Result = Outcome.Failed;
        Why = why.ToArray();
    }

    void Finish()
    {
        var header = buf.AsSpan(0, Math.Min(got, buf.Length));
        Result = header[0] == 'P' ? ParseV1(header) : ParseV2(header);
        if (Result == Outcome.Failed) Why = header[0] == 'P' ? "malformed version 1 header"u8.ToArray() : "malformed version 2 header"u8.ToArray();
    }

    /// <summary>"PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN...\r\n".</summary>
    Outcome ParseV1(ReadOnlySpan<byte> line)
    {
        if (line.Length < 2 || line[^2] != '\r') return Outcome.Failed;
        var rest = line.Slice(V1Signature.Length, line.Length - V1Signature.Length - 2);
        if (rest.StartsWith("UNKNOWN"u8) && (rest.Length == 7 || rest[7] == ' ')) return Outcome.Local;
        bool six;
        if (rest.StartsWith("TCP4 "u8)) six = false;
        else if (rest.StartsWith("TCP6 "u8)) six = true;
        else return Outcome.Failed;
        rest = rest.Slice(5);
        if (!Field(ref rest, out var src) || !Field(ref rest, out var dst) || !Field(ref rest, out var sport)) return Outcome.Failed;
        var dport = rest;
        if (dport.IndexOf((byte)' ') >= 0) return Outcome.Failed;
        if (!Address(src, six, Remote, out RemoteLength) || !Address(dst, six, Local, out LocalLength)) return Outcome.Failed;
        if (!Port(sport, out RemotePort) || !Port(dport, out LocalPort)) return Outcome.Failed;
        return Outcome.Proxied;
    }

    /// <summary>The text up to the next single space, which is consumed.</summary>
    static bool Field(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> field)
    {
        int sp = rest.IndexOf((byte)' ');
        field = sp > 0 ? rest.Slice(0, sp) : default;
        if (sp <= 0) return false;
        rest = rest.Slice(sp + 1);
        return true;
    }

    /// <summary>An address in its canonical text: four decimal numbers without leading zeros,
    /// or IPv6 hex groups.</summary>
    static bool Address(ReadOnlySpan<byte> text, bool six, byte[] ip, out int length)
    {
        length = 0;
        if (six)
        {
            if (!Ip.Scan6(text, out var ip6)) return false;
            length = Ip.Unmap(ip6, ip);
            return true;
        }
        Span<byte> ip4 = stackalloc byte[4];
        if (text.Length > Ip4TextMax || Ip.Scan4(text, ip4) != text.Length) return false;
        for (int i = 0; i + 1 < text.Length; i++)
            if (text[i] == '0' && (i == 0 || text[i - 1] == '.') && text[i + 1] != '.') return false;
        ip4.CopyTo(ip);
        length = 4;
        return true;
    }

    static bool Port(ReadOnlySpan<byte> text, out int port)
    {
        port = 0;
        if (text.Length == 0 || text.Length > 5 || (text[0] == '0' && text.Length > 1)) return false;
        if (Numbers.ScanULong(text, out ulong v) != text.Length || v > PortMax) return false;
        port = (int)v;
        return true;
    }

    // Version 2: byte 12 is version 2 and the command (0 LOCAL, 1 PROXY); byte 13 the family
    // (0 unspecified, 1 IPv4, 2 IPv6, 3 UNIX) and the transport (0 unspecified, 1 stream, 2 datagram).
    const int Version2 = 0x20, CommandLocal = 0, CommandProxy = 1, FamilyMax = 3, TransportStream = 1,
        TransportMax = 2, FamilyInet = 1, FamilyInet6 = 2;

    Outcome ParseV2(ReadOnlySpan<byte> header)
    {
        int versionCommand = header[12], family = header[13] >> 4, transport = header[13] & 0xf;
        int length = got - V2Fixed;
        if ((versionCommand & 0xf0) != Version2 || family > FamilyMax || transport > TransportMax) return Outcome.Failed;
        int command = versionCommand & 0xf;
        if (command == CommandLocal) return Outcome.Local;
        if (command != CommandProxy) return Outcome.Failed;
        // A proxied connection that is not TCP over IPv4 or IPv6 has no address of ours to give.
        if (family != FamilyInet && family != FamilyInet6 || transport != TransportStream)
            return transport == TransportStream || transport == 0 ? Outcome.Local : Outcome.Failed;
        int size = family == FamilyInet ? 4 : 16;
        if (length < (family == FamilyInet ? V2Inet : V2Inet6)) return Outcome.Failed;
        var block = header.Slice(V2Fixed);
        RemoteLength = Ip.Unmap(block.Slice(0, size), Remote);
        LocalLength = Ip.Unmap(block.Slice(size, size), Local);
        RemotePort = block[2 * size] << 8 | block[2 * size + 1];
        LocalPort = block[2 * size + 2] << 8 | block[2 * size + 3];
        return Outcome.Proxied;
    }
}
