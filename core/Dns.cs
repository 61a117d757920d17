// A DNS stub resolver in the manner of djb's dns library: servers from $DNSCACHEIP, else the
// nameserver lines of /etc/resolv.conf, else 127.0.0.1; UDP to each server in turn with
// timeouts of 1, 3, 11 and 45 seconds per round, TCP (10 seconds per server) when an answer
// is truncated. As in djb's dns_transmit, a server that refuses or fails is given until the
// end of the third round to answer after all, answers over 512 bytes are ignored, and a query
// that gets no answer ends with the errno of the last thing that went wrong (what the
// "temporarily unable" messages print). A query is a small state machine driven by poll(2),
// so a server can run many at once without blocking; Resolve drives one to completion for the
// simple programs.
using System.Collections.Generic;

namespace Toolkit;

public sealed unsafe class Dns : IPollTask
{
    public const int A = 1, PTR = 12, TXT = 16, AAAA = 28;
    static readonly int[] Rounds = { 1000, 3000, 11000, 45000 };
    const int TcpTimeout = 10000;
    static List<byte[]> servers;

    readonly byte[] query;
    int fd = -1, server, round;
    bool tcp;
    byte[] tcpIn;
    int tcpOut, tcpLen, tcpGot;

    public int Fd => fd;
    public short Events { get; private set; }
    public long Deadline { get; private set; }
    public bool Done { get; private set; }
    /// <summary>The answer packet once Done; null if no server gave one (temporary failure).</summary>
    public byte[] Answer;
    /// <summary>Without an answer, why: djb's texts for it end "temporarily unable" messages.</summary>
    public int Errno { get; private set; }

    public Dns(ReadOnlySpan<byte> name, int type)
    {
        query = Query(name, type);
        if (query == null) { Errno = Native.EPROTO; Done = true; return; }
        Servers();
        server = -1;
        NextUdp();
    }

    /// <summary>Runs one query to completion; null on temporary failure.</summary>
    public static byte[] Resolve(ReadOnlySpan<byte> name, int type)
    {
        var q = new Dns(name, type);
        Net.Drive(q);
        return q.Answer;
    }

    public static List<byte[]> Servers()
    {
        if (servers != null) return servers;
        var list = new List<byte[]>();
        var env = Args.GetEnv("DNSCACHEIP"u8);
        if (env != null) ScanList(env, list);
        if (list.Count == 0)
        {
            var conf = Files.ReadAll("/etc/resolv.conf"u8, out _);
            ReadOnlySpan<byte> rest = conf;
            while (rest.Length > 0)
            {
                int end = rest.IndexOf((byte)'\n');
                var line = end < 0 ? rest : rest.Slice(0, end);
                rest = end < 0 ? default : rest.Slice(end + 1);
                if (line.Length < 11 || !line.StartsWith("nameserver"u8) || (line[10] != ' ' && line[10] != '\t')) continue;
                line = line.Slice(10);
                while (line.Length > 0 && (line[0] == ' ' || line[0] == '\t')) line = line.Slice(1);
                var ip = new byte[4];
                if (list.Count < 16 && Net.ScanIp4(line, ip) > 0)
                {
                    if (ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] == 0) { ip[0] = 127; ip[3] = 1; }
                    list.Add(ip);
                }
            }
        }
        if (list.Count == 0) list.Add(new byte[] { 127, 0, 0, 1 });
        return servers = list;
    }

    /// <summary>IPs separated by spaces, tabs or dots (djb's dns_rcip reads "1.2.3.4.5.6.7.8" as two).</summary>
    static void ScanList(ReadOnlySpan<byte> s, List<byte[]> list)
    {
        while (s.Length > 0 && list.Count < 16)
        {
            if (s[0] == '.' || s[0] == ' ' || s[0] == '\t' || s[0] == ',') { s = s.Slice(1); continue; }
            var ip = new byte[4];
            int n = Net.ScanIp4(s, ip);
            if (n == 0) break;
            list.Add(ip);
            s = s.Slice(n);
        }
    }

    static byte[] Query(ReadOnlySpan<byte> name, int type)
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

    void Close()
    {
        if (fd != -1) Native.close(fd);
        fd = -1;
    }

    public void Cancel() { Close(); Done = true; }

    void Finish(byte[] answer) { Close(); Answer = answer; Done = true; }

    void Fail(int errno) { Errno = errno; Finish(null); }

    /// <summary>The next server (or round), remembering what went wrong with this one.</summary>
    void Retry(int errno)
    {
        Errno = errno;
        if (tcp) NextTcp(); else NextUdp();
    }

    void NextUdp()
    {
        for (;;)
        {
            Close();
            if (++server >= servers.Count) { server = 0; if (++round >= Rounds.Length) { Finish(null); return; } }
            var ip = servers[server];
            if (ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] == 0) continue;
            fd = Net.Socket(Native.SOCK_DGRAM, nonBlocking: true);
            if (fd == -1) { Fail(Native.Errno); return; }
            if (Net.Connect(fd, ip, 53) == -1) { Errno = Native.Errno; continue; }
            nint sent;
            fixed (byte* p = query) sent = Native.send(fd, p, query.Length, Native.MSG_NOSIGNAL);
            if (sent != query.Length) { Errno = sent < 0 ? Native.Errno : Native.EIO; continue; }
            Events = Native.POLLIN;
            Deadline = Net.Now() + Rounds[round];
            return;
        }
    }

    void NextTcp()
    {
        for (;;)
        {
            Close();
            if (++server >= servers.Count) { Finish(null); return; }
            var ip = servers[server];
            if (ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] == 0) continue;
            fd = Net.Socket(Native.SOCK_STREAM, nonBlocking: true);
            if (fd == -1) { Fail(Native.Errno); return; }
            if (Net.Connect(fd, ip, 53) == -1 && Native.Errno != Native.EINPROGRESS) { Errno = Native.Errno; continue; }
            tcpOut = 0; tcpGot = 0; tcpLen = -1;
            tcpIn = new byte[2];
            Events = Native.POLLOUT;
            Deadline = Net.Now() + TcpTimeout;
            return;
        }
    }

    public void Step(short revents)
    {
        if (Done) return;
        if (revents == 0)
        {
            if (Net.Now() < Deadline) return;
            Retry(Native.ETIMEDOUT);
            return;
        }
        if (tcp) StepTcp(); else StepUdp();
    }

    void StepUdp()
    {
        var buf = new byte[4096];
        nint r;
        fixed (byte* p = buf) r = Native.recv(fd, p, buf.Length, 0);
        if (r < 0)
        {
            int e = Native.Errno;
            if (e == Native.EAGAIN || e == Native.EINTR) return;
            // In the third round djb waits out a refusal: the server may be starting up.
            if (e == Native.ECONNREFUSED && round == 2) Errno = e;
            else Retry(e);
            return;
        }
        if (r > 512) return; // more than djb's buffer holds: not an answer to him
        var packet = buf.AsSpan(0, (int)r);
        if (!Matches(packet)) return;
        if ((packet[2] & 2) != 0)
        {
            tcp = true;
            server = -1;
            NextTcp();
            return;
        }
        Accept(packet.ToArray());
    }

    void Accept(byte[] packet)
    {
        int rcode = packet[3] & 15;
        if (rcode == 0 || rcode == 3) Finish(packet);
        else if (!tcp && round == 2) Errno = Native.EAGAIN; // as for a refusal, wait for a better answer
        else Retry(Native.EAGAIN);
    }

    bool Matches(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < query.Length) return false;
        if (packet[0] != query[0] || packet[1] != query[1] || (packet[2] & 0x80) == 0) return false;
        if (packet[4] != 0 || packet[5] != 1) return false;
        return CaseEqual(packet.Slice(12, query.Length - 12), query.AsSpan(12));
    }

    /// <summary>djb's case_diffb == 0: equal but for the case of ASCII letters.</summary>
    public static bool CaseEqual(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
        {
            byte x = a[i], y = b[i];
            if (x >= 'A' && x <= 'Z') x += 32;
            if (y >= 'A' && y <= 'Z') y += 32;
            if (x != y) return false;
        }
        return true;
    }

    void StepTcp()
    {
        if (Events == Native.POLLOUT)
        {
            int err = tcpOut == 0 ? Net.SocketError(fd) : 0;
            if (err != 0) { Retry(err); return; }
            var msg = new byte[query.Length + 2];
            msg[0] = (byte)(query.Length >> 8); msg[1] = (byte)query.Length;
            query.CopyTo(msg, 2);
            nint w;
            fixed (byte* p = msg) w = Native.send(fd, p + tcpOut, msg.Length - tcpOut, Native.MSG_NOSIGNAL);
            if (w < 0) { if (Native.Errno != Native.EAGAIN) Retry(Native.Errno); return; }
            tcpOut += (int)w;
            if (tcpOut == msg.Length) Events = Native.POLLIN;
            return;
        }
        nint r;
        fixed (byte* p = tcpIn) r = Native.recv(fd, p + tcpGot, tcpIn.Length - tcpGot, 0);
        if (r < 0 && (Native.Errno == Native.EAGAIN || Native.Errno == Native.EINTR)) return;
        if (r <= 0) { Retry(r < 0 ? Native.Errno : Native.EIO); return; }
        tcpGot += (int)r;
        if (tcpGot < tcpIn.Length) return;
        if (tcpLen < 0)
        {
            tcpLen = tcpIn[0] << 8 | tcpIn[1];
            if (tcpLen < query.Length) { Retry(Native.EIO); return; }
            tcpIn = new byte[tcpLen];
            tcpGot = 0;
            return;
        }
        if (!Matches(tcpIn)) { Retry(Native.EIO); return; }
        Accept(tcpIn);
    }

    // ---- reading answers

    /// <summary>Calls found(type, rdata offset, rdata length) for each answer record; false if malformed.</summary>
    static bool Answers(byte[] p, Func<int, int, int, bool> found)
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
        int want = type == AAAA ? 16 : 4;
        Answers(p, (t, pos, len) =>
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
        Answers(p, (t, pos, len) =>
        {
            if (t != PTR) return true;
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
        Answers(p, (t, pos, len) =>
        {
            if (t != TXT) return true;
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
                r.Add(Hex(ip[i] & 15)); r.Add((byte)'.');
                r.Add(Hex(ip[i] >> 4)); r.Add((byte)'.');
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

    public static byte Hex(int n) => (byte)(n < 10 ? '0' + n : 'a' + n - 10);

    /// <summary>djb's dns_ip4 for one name: see Literal, else the name's A (or AAAA) records.
    /// Null on temporary failure, with errno saying why: a name that cannot be sent is a
    /// protocol error, no answer from any server a timeout.</summary>
    public static List<byte[]> Ip(ReadOnlySpan<byte> name, int type, out int errno)
    {
        errno = 0;
        var literal = Literal(name);
        if (literal != null) return literal;
        var q = new Dns(name, type);
        Net.Drive(q);
        if (q.Answer != null) return Addresses(q.Answer, type);
        errno = q.Errno;
        return null;
    }

    /// <summary>ucspi-tcp-ipv6's dns_ip6 for one name: an IPv6 address in text form, a dotted
    /// one (see Literal) IPv4-mapped, else the name's AAAA records, then its A records
    /// IPv4-mapped. Null on temporary failure, with errno saying why (as Ip).</summary>
    public static List<byte[]> Ip6(ReadOnlySpan<byte> name, out int errno)
    {
        errno = 0;
        if (name.IndexOf((byte)':') >= 0) return Net.ScanIp6(name, out var ip) ? [ip] : [];
        var r = Ip(name, AAAA, out errno);
        if (r == null) return null;
        if (Literal(name) == null)
        {
            var four = Ip(name, A, out errno);
            if (four == null) return null;
            r.AddRange(four);
        }
        for (int i = 0; i < r.Count; i++) if (r[i].Length == 4) r[i] = Net.Mapped(r[i]);
        return r;
    }

    /// <summary>As dns_ip4 reads a name made only of digits, dots and brackets: one byte per
    /// dot-separated number, whole addresses only. Null for any other name.</summary>
    public static List<byte[]> Literal(ReadOnlySpan<byte> name)
    {
        var bytes = new List<byte>();
        byte code = 0;
        for (int i = 0; i <= name.Length; i++)
        {
            byte ch = i < name.Length ? name[i] : (byte)'.';
            if (ch == '[' || ch == ']') continue;
            if (ch == '.') { bytes.Add(code); code = 0; continue; }
            if (ch >= '0' && ch <= '9') { code = unchecked((byte)(code * 10 + ch - '0')); continue; }
            return null;
        }
        var r = new List<byte[]>();
        for (int i = 0; i + 4 <= bytes.Count; i += 4) r.Add(bytes.GetRange(i, 4).ToArray());
        return r;
    }
}
