// IP addresses as bytes (4 for IPv4, 16 for IPv6) and as text: djb's ip4_fmt and ip4_scan,
// ucspi-tcp-ipv6's IPv6 forms, and IPv4-mapped addresses (::ffff:a.b.c.d).

namespace Toolkit;

public static class Ip
{
    /// <summary>::ffff:a.b.c.d, an IPv4 client of a dual-stack socket.</summary>
    public static bool IsMapped(ReadOnlySpan<byte> ip16) =>
        ip16.Slice(0, 10).IndexOfAnyExcept((byte)0) < 0 && ip16[10] == 0xff && ip16[11] == 0xff;

    /// <summary>The 4-byte form of an IPv4-mapped address; any other as it is.</summary>
    public static byte[] Unmapped(byte[] ip) => ip.Length == 16 && IsMapped(ip) ? ip[12..] : ip;

    /// <summary>Copies an address as the kernel gives a peer's into to, an IPv4-mapped one as its
    /// 4 bytes; returns the length.</summary>
    public static int Unmap(ReadOnlySpan<byte> from, Span<byte> to)
    {
        if (from.Length == 16 && IsMapped(from)) from = from.Slice(12);
        from.CopyTo(to);
        return from.Length;
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

    /// <summary>The longest text of an address (Format, Text6).</summary>
    public const int TextMax = 40;

    /// <summary>Text of an IPv4 (dotted) or IPv6 address as Debian's ucspi-tcp-ipv6 writes it
    /// (its ip6_fmt, which its tcpserver also looks up in the rules): lower-case hex, the first
    /// of the longest runs of zero groups as "::", even a run of one, a mapped address as
    /// ::ffff:a.b.c.d.</summary>
    public static byte[] Format(ReadOnlySpan<byte> ip)
    {
        Span<byte> b = stackalloc byte[TextMax];
        return b.Slice(0, Format(b, ip)).ToArray();
    }

    /// <summary>Format into dst (TextMax bytes at most); returns the length.</summary>
    public static int Format(Span<byte> dst, ReadOnlySpan<byte> ip)
    {
        if (ip.Length == 4) return Format4(dst, ip);
        if (IsMapped(ip))
        {
            "::ffff:"u8.CopyTo(dst);
            return 7 + Format4(dst.Slice(7), ip.Slice(12));
        }
        int bestStart = -1, bestLen = 0;
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
            if (i == bestStart) { "::"u8.CopyTo(dst.Slice(n)); n += 2; i += bestLen - 1; continue; }
            if (n > 0 && dst[n - 1] != ':') dst[n++] = (byte)':';
            n += Numbers.FormatHex(dst.Slice(n), (ulong)(ip[2 * i] << 8 | ip[2 * i + 1]));
        }
        return n;
    }

    /// <summary>Dotted-quad text of a 4-byte address (ip4_fmt).</summary>
    static int Format4(Span<byte> dst, ReadOnlySpan<byte> ip)
    {
        int n = 0;
        for (int i = 0; i < 4; i++)
        {
            if (i > 0) dst[n++] = (byte)'.';
            n += Numbers.Format(dst.Slice(n), ip[i]);
        }
        return n;
    }

    /// <summary>An address as ucspi-tcp-ipv6 writes it into TCPLOCALIP and the like: an IPv4 (or
    /// IPv4-mapped) address dotted, unless forced to IPv6 text (-6); IPv6 ones in IPv6 text.</summary>
    public static byte[] Text6(ReadOnlySpan<byte> ip, bool force6)
    {
        Span<byte> b = stackalloc byte[TextMax];
        return b.Slice(0, Text6(b, ip, force6)).ToArray();
    }

    /// <summary>Text6 into dst (TextMax bytes at most); returns the length.</summary>
    public static int Text6(Span<byte> dst, ReadOnlySpan<byte> ip, bool force6)
    {
        if (ip.Length != 4 || !force6) return Format(dst, ip);
        Span<byte> mapped = stackalloc byte[16];
        Mapped(mapped, ip);
        return Format(dst, mapped);
    }

    /// <summary>djb's ip4_scan: "a.b.c.d" with numbers up to 255; returns the bytes used, 0 if not an address.</summary>
    public static int Scan4(ReadOnlySpan<byte> s, Span<byte> ip)
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
    public static bool Scan6(ReadOnlySpan<byte> s, out byte[] ip)
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
                if (Scan4(s.Slice(start), v4) != s.Length - start) return false;
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
}
