// DNS packets as djb's dns library makes and reads them: a query for one name and type (the
// name encoded as dns_domain_fromdot does), whether a response answers it, and the records of
// an answer (addresses, a PTR name, TXT strings); and the names of reverse lookups.
using System.Collections.Generic;

namespace Toolkit;

public static class DnsPacket
{
    /// <summary>A query for name's records of the type, with a random id; null if the name
    /// cannot be encoded.</summary>
    public static byte[] Query(ReadOnlySpan<byte> name, int type)
    {
        var wire = Encode(name);
        if (wire == null) return null;
        var q = new List<byte>(wire.Length + 16);
        int id = Random.Shared.Next(65536);
        q.Add((byte)(id >> 8)); q.Add((byte)id);
        q.Add(1); q.Add(0); q.Add(0); q.Add(1); q.Add(0); q.Add(0); q.Add(0); q.Add(0); q.Add(0); q.Add(0);
        q.AddRange(wire);
        q.Add((byte)(type >> 8)); q.Add((byte)type); q.Add(0); q.Add(1);
        return q.ToArray();
    }

    /// <summary>The name in wire form as djb's dns_domain_fromdot makes it: empty labels are
    /// skipped and \ooo or \c stands for a byte, so "a..b." asks for a.b; null (a protocol
    /// error) for a label over 63 bytes or a name over 255.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> name)
    {
        var wire = new List<byte>(name.Length + 2);
        var label = new List<byte>(63);
        int i = 0;
        while (i < name.Length)
        {
            byte ch = name[i++];
            if (ch == '.') { EndLabel(wire, label); continue; }
            if (ch == '\\')
            {
                if (i == name.Length) break;
                ch = name[i++];
                if (ch >= '0' && ch <= '7')
                {
                    ch -= (byte)'0';
                    for (int k = 0; k < 2 && i < name.Length && name[i] >= '0' && name[i] <= '7'; k++)
                        ch = (byte)(ch << 3 | name[i++] - '0');
                }
            }
            if (label.Count == 63) return null;
            label.Add(ch);
        }
        EndLabel(wire, label);
        if (wire.Count + 1 > 255) return null;
        wire.Add(0);
        return wire.ToArray();
    }

    static void EndLabel(List<byte> wire, List<byte> label)
    {
        if (label.Count == 0) return;
        wire.Add((byte)label.Count);
        wire.AddRange(label);
        label.Clear();
    }

    /// <summary>Whether packet is a response to query: its id, one question, and the question
    /// itself (names compared ignoring case).</summary>
    public static bool IsAnswerTo(ReadOnlySpan<byte> packet, ReadOnlySpan<byte> query)
    {
        if (packet.Length < query.Length) return false;
        if (packet[0] != query[0] || packet[1] != query[1] || (packet[2] & 0x80) == 0) return false;
        if (packet[4] != 0 || packet[5] != 1) return false;
        return Bytes.CaseEqual(packet.Slice(12, query.Length - 12), query.Slice(12));
    }

    /// <summary>Calls found(type, rdata offset, rdata length) for each answer record; false if malformed.</summary>
    static bool Records(byte[] p, Func<int, int, int, bool> found)
    {
        if (p.Length < 12) return false;
        int qd = p[4] << 8 | p[5], an = p[6] << 8 | p[7];
        int pos = 12;
        for (int i = 0; i < qd; i++)
        {
            pos = SkipName(p, pos);
            if (pos < 0 || pos + 4 > p.Length) return false;
            pos += 4;
        }
        for (int i = 0; i < an; i++)
        {
            pos = SkipName(p, pos);
            if (pos < 0 || pos + 10 > p.Length) return false;
            int type = p[pos] << 8 | p[pos + 1], cls = p[pos + 2] << 8 | p[pos + 3];
            int len = p[pos + 8] << 8 | p[pos + 9];
            pos += 10;
            if (pos + len > p.Length) return false;
            if (cls == 1 && !found(type, pos, len)) return true;
            pos += len;
        }
        return true;
    }

    static int SkipName(byte[] p, int pos)
    {
        while (pos < p.Length)
        {
            int c = p[pos];
            if (c >= 192) return pos + 2;
            if (c >= 64) return -1;
            pos += c + 1;
            if (c == 0) return pos;
        }
        return -1;
    }

    /// <summary>The IPv4 (len 4) or IPv6 (len 16) addresses in the answer, in order.</summary>
    public static List<byte[]> Addresses(byte[] p, int type)
    {
        var r = new List<byte[]>();
        if (p == null) return r;
        int want = type == Dns.AAAA ? 16 : 4;
        Records(p, (t, pos, len) =>
        {
            if (t == type && len == want) r.Add(p.AsSpan(pos, len).ToArray());
            return true;
        });
        return r;
    }

    /// <summary>The first PTR name as djb prints it (lower case, other bytes as \ooo), or null.</summary>
    public static byte[] Name(byte[] p)
    {
        byte[] name = null;
        if (p == null) return null;
        Records(p, (t, pos, len) =>
        {
            if (t != Dns.PTR) return true;
            name = DottedName(p, pos);
            return name == null;
        });
        return name;
    }

    /// <summary>The strings of every TXT record, concatenated (dns_txt).</summary>
    public static byte[] Text(byte[] p)
    {
        var r = new List<byte>();
        if (p == null) return r.ToArray();
        Records(p, (t, pos, len) =>
        {
            if (t != Dns.TXT) return true;
            int end = pos + len;
            while (pos < end)
            {
                int n = p[pos++];
                if (pos + n > end) n = end - pos;
                for (int i = 0; i < n; i++) r.Add(p[pos + i]);
                pos += n;
            }
            return true;
        });
        return r.ToArray();
    }

    static byte[] DottedName(byte[] p, int pos)
    {
        var r = new List<byte>();
        for (int hops = 0; hops < 100 && pos < p.Length; hops++)
        {
            int c = p[pos];
            if (c >= 192)
            {
                if (pos + 1 >= p.Length) return null;
                pos = (c & 63) << 8 | p[pos + 1];
                continue;
            }
            if (c >= 64 || pos + 1 + c > p.Length) return null;
            if (c == 0)
            {
                if (r.Count == 0) r.Add((byte)'.');
                return r.ToArray();
            }
            if (r.Count > 0) r.Add((byte)'.');
            for (int i = 1; i <= c; i++)
            {
                byte ch = p[pos + i];
                if (ch >= 'A' && ch <= 'Z') ch += 32;
                if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_') r.Add(ch);
                else { r.Add((byte)'\\'); r.Add((byte)('0' + (ch >> 6))); r.Add((byte)('0' + ((ch >> 3) & 7))); r.Add((byte)('0' + (ch & 7))); }
            }
            pos += c + 1;
        }
        return null;
    }

    /// <summary>"d.c.b.a.in-addr.arpa" for a PTR query, or the reversed nibbles and "ip6.arpa"
    /// for a 16-byte address.</summary>
    public static byte[] ReverseName(ReadOnlySpan<byte> ip)
    {
        var r = new List<byte>(72);
        if (ip.Length == 16)
        {
            for (int i = 15; i >= 0; i--)
            {
                r.Add(Numbers.HexDigit(ip[i] & 15)); r.Add((byte)'.');
                r.Add(Numbers.HexDigit(ip[i] >> 4)); r.Add((byte)'.');
            }
            r.AddRange("ip6.arpa"u8.ToArray());
            return r.ToArray();
        }
        for (int i = 3; i >= 0; i--)
        {
            r.AddRange(Numbers.Text(ip[i]));
            r.Add((byte)'.');
        }
        r.AddRange("in-addr.arpa"u8.ToArray());
        return r.ToArray();
    }
}
