// CIDR blocks for tcprules (beyond 0.88): ADDRESS/LENGTH compiled into the keys djb's lookup
// (core/Rules.cs, Debian's tcpserver and tcprulescheck) already tries: the address itself and
// its prefixes ending in "." (IPv4, one per octet) or ":" (IPv6, one per 16-bit group). A block
// on such a boundary is one key; any other is the fewest keys of the next boundary down.
using System.Collections.Generic;

namespace Toolkit;

public enum CidrError { None, Address, Length, HostBits, ZeroGroup }

public static class Cidr
{
    const int OctetBits = 8, GroupBits = 16, Ipv4Octets = 4, Ipv6Groups = 8, MappedBits = 96;
    const int LengthDigits = 3;
    static ReadOnlySpan<byte> MappedText => "::ffff:"u8;
    /// <summary>The colons of a whole IPv6 address whose "::" stands for one group.</summary>
    const int OneGroupRunColons = 8;

    /// <summary>The keys of block ("a.b.c.d/N" or an IPv6 address "/N") added to keys in
    /// ascending order, or why it is malformed: a bad address or length, bits set below the
    /// length, or an IPv6 block whose zero groups tcpserver writes in a way no key can match
    /// exactly (Keys6).</summary>
    public static CidrError Keys(ReadOnlySpan<byte> block, List<byte[]> keys)
    {
        int slash = block.LastIndexOf((byte)'/');
        if (slash < 0) return CidrError.Address;
        var digits = block.Slice(slash + 1);
        if (digits.Length == 0 || digits.Length > LengthDigits || Numbers.ScanULong(digits, out ulong length) != digits.Length)
            return CidrError.Length;
        var text = block.Slice(0, slash);
        byte[] ip;
        if (text.IndexOf((byte)':') < 0)
        {
            ip = new byte[Ipv4Octets];
            if (text.Length == 0 || Ip.Scan4(text, ip) != text.Length) return CidrError.Address;
        }
        else if (!Ip.Scan6(text, out ip)) return CidrError.Address;
        int bits = (int)length;
        if (bits > ip.Length * OctetBits) return CidrError.Length;
        if (!HostBitsClear(ip, bits)) return CidrError.HostBits;
        if (ip.Length == Ipv4Octets)
        {
            Keys4(ip, bits, keys);
            return CidrError.None;
        }
        if (bits < MappedBits || !Ip.IsMapped(ip)) return Keys6(ip, bits, keys);
        // tcpserver looks an IPv4-mapped client up by its IPv4 text, with -6 by ::ffff:a.b.c.d
        int first = keys.Count;
        Keys4(Ip.Unmapped(ip), bits - MappedBits, keys);
        for (int i = first, end = keys.Count; i < end; i++) keys.Add([.. MappedText, .. keys[i]]);
        return CidrError.None;
    }

    static bool HostBitsClear(ReadOnlySpan<byte> ip, int bits)
    {
        for (int i = 0; i < ip.Length * OctetBits; i++)
            if (i >= bits && (ip[i / OctetBits] & (0x80 >> (i % OctetBits))) != 0) return false;
        return true;
    }

    /// <summary>"a.b.c.d" for a /25 and longer, else prefixes "a.b.c.", "a.b.", "a." (a /0 is
    /// the 256 keys "0." to "255.", not the empty key, which IPv6 clients and hosts reach too).</summary>
    static void Keys4(byte[] ip, int bits, List<byte[]> keys)
    {
        int octets = Math.Max(1, (bits + OctetBits - 1) / OctetBits);
        int count = 1 << (octets * OctetBits - bits);
        Span<byte> key = stackalloc byte[Ip.TextMax];
        for (int v = 0; v < count; v++)
        {
            int n = 0;
            for (int i = 0; i < octets; i++)
            {
                n += Numbers.Format(key.Slice(n), i == octets - 1 ? (ulong)(ip[i] + v) : ip[i]);
                if (i < Ipv4Octets - 1) key[n++] = (byte)'.';
            }
            keys.Add(key.Slice(0, n).ToArray());
        }
    }

    /// <summary>The whole address for a /113 and longer (in the text of Debian's ucspi-tcp-ipv6,
    /// which is ours too), else prefixes of whole groups "g0:g1:". tcpserver writes
    /// a run of zero groups as "::", so a prefix key cannot hold a zero group (the key would
    /// have "::" for some addresses of the block and not for others), and a whole address
    /// cannot end in a "::" of two groups or more ("a:b::" is also a prefix of "a:b::5").</summary>
    static CidrError Keys6(byte[] ip, int bits, List<byte[]> keys)
    {
        int groups = Math.Max(1, (bits + GroupBits - 1) / GroupBits);
        int count = 1 << (groups * GroupBits - bits);
        int last = Group(ip, groups - 1);
        if (groups < Ipv6Groups)
            for (int g = 0; g < groups; g++) if (Group(ip, g) == 0) return CidrError.ZeroGroup;
        var address = (byte[])ip.Clone();
        Span<byte> key = stackalloc byte[Ip.TextMax];
        for (int v = 0; v < count; v++)
        {
            address[2 * groups - 2] = (byte)((last + v) >> 8);
            address[2 * groups - 1] = (byte)(last + v);
            if (groups == Ipv6Groups)
            {
                var text = Ip.Format(address);
                if (text[^1] == ':' && text.AsSpan().Count((byte)':') < OneGroupRunColons) return CidrError.ZeroGroup;
                keys.Add(text);
                continue;
            }
            int n = 0;
            for (int g = 0; g < groups; g++)
            {
                n += Numbers.FormatHex(key.Slice(n), (ulong)Group(address, g));
                key[n++] = (byte)':';
            }
            keys.Add(key.Slice(0, n).ToArray());
        }
        return CidrError.None;
    }

    static int Group(ReadOnlySpan<byte> ip, int g) => ip[2 * g] << 8 | ip[2 * g + 1];
}
