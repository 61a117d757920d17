// A DNS stub resolver in the manner of djb's dns library, asking the servers of
// core/DnsConfig.cs with the packets of core/DnsPacket.cs: UDP to each server in turn with
// timeouts of 1, 3, 11 and 45 seconds per round, TCP (10 seconds per server) when an answer
// is truncated. As in djb's dns_transmit, a server that refuses or fails is given until the
// end of the third round to answer after all, answers over 512 bytes are ignored, and a query
// that gets no answer ends with the errno of the last thing that went wrong (what the
// "temporarily unable" messages print). A query is a small state machine driven by poll(2),
// so a server can run many at once without blocking; Resolve drives one to completion for the
// simple programs.
using System.Collections.Generic;

namespace Toolkit;

public sealed class Dns : IPollTask
{
    public const int A = 1, PTR = 12, TXT = 16, AAAA = 28;
    static readonly int[] Rounds = { 1000, 3000, 11000, 45000 };
    const int TcpTimeout = 10000;
    readonly List<byte[]> servers;

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
        query = DnsPacket.Query(name, type);
        if (query == null) { Errno = Native.EPROTO; Done = true; return; }
        servers = DnsConfig.Servers();
        server = -1;
        NextUdp();
    }

    /// <summary>Runs one query to completion; null on temporary failure.</summary>
    public static byte[] Resolve(ReadOnlySpan<byte> name, int type)
    {
        var q = new Dns(name, type);
        Poll.Drive(q);
        return q.Answer;
    }

    void Close()
    {
        if (fd != -1) Native.close(fd);
        fd = -1;
    }

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
            int sent = Net.Send(fd, query);
            if (sent != query.Length) { Errno = sent < 0 ? Native.Errno : Native.EIO; continue; }
            Events = Native.POLLIN;
            Deadline = Clock.Now() + Rounds[round];
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
            Deadline = Clock.Now() + TcpTimeout;
            return;
        }
    }

    public void Step(short revents)
    {
        if (Done) return;
        if (revents == 0)
        {
            if (Clock.Now() < Deadline) return;
            Retry(Native.ETIMEDOUT);
            return;
        }
        if (tcp) StepTcp(); else StepUdp();
    }

    void StepUdp()
    {
        var buf = new byte[4096];
        int r = Net.Recv(fd, buf);
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
        var packet = buf.AsSpan(0, r);
        if (!DnsPacket.IsAnswerTo(packet, query)) return;
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

    void StepTcp()
    {
        if (Events == Native.POLLOUT)
        {
            int err = tcpOut == 0 ? Net.SocketError(fd) : 0;
            if (err != 0) { Retry(err); return; }
            var msg = new byte[query.Length + 2];
            msg[0] = (byte)(query.Length >> 8); msg[1] = (byte)query.Length;
            query.CopyTo(msg, 2);
            int w = Net.Send(fd, msg.AsSpan(tcpOut));
            if (w < 0) { if (Native.Errno != Native.EAGAIN) Retry(Native.Errno); return; }
            tcpOut += w;
            if (tcpOut == msg.Length) Events = Native.POLLIN;
            return;
        }
        int r = Net.Recv(fd, tcpIn.AsSpan(tcpGot));
        if (r < 0 && (Native.Errno == Native.EAGAIN || Native.Errno == Native.EINTR)) return;
        if (r <= 0) { Retry(r < 0 ? Native.Errno : Native.EIO); return; }
        tcpGot += r;
        if (tcpGot < tcpIn.Length) return;
        if (tcpLen < 0)
        {
            tcpLen = tcpIn[0] << 8 | tcpIn[1];
            if (tcpLen < query.Length) { Retry(Native.EIO); return; }
            tcpIn = new byte[tcpLen];
            tcpGot = 0;
            return;
        }
        if (!DnsPacket.IsAnswerTo(tcpIn, query)) { Retry(Native.EIO); return; }
        Accept(tcpIn);
    }

    /// <summary>djb's dns_ip4 for one name: see Literal, else the name's A (or AAAA) records.
    /// Null on temporary failure, with errno saying why: a name that cannot be sent is a
    /// protocol error, no answer from any server a timeout.</summary>
    public static List<byte[]> Lookup(ReadOnlySpan<byte> name, int type, out int errno)
    {
        errno = 0;
        var literal = Literal(name);
        if (literal != null) return literal;
        var q = new Dns(name, type);
        Poll.Drive(q);
        if (q.Answer != null) return DnsPacket.Addresses(q.Answer, type);
        errno = q.Errno;
        return null;
    }

    /// <summary>ucspi-tcp-ipv6's dns_ip6 for one name: an IPv6 address in text form, a dotted
    /// one (see Literal) IPv4-mapped, else the name's AAAA records, then its A records
    /// IPv4-mapped. Null on temporary failure, with errno saying why (as Lookup).</summary>
    public static List<byte[]> Lookup6(ReadOnlySpan<byte> name, out int errno)
    {
        errno = 0;
        if (name.IndexOf((byte)':') >= 0) return Ip.Scan6(name, out var ip) ? [ip] : [];
        var r = Lookup(name, AAAA, out errno);
        if (r == null) return null;
        if (Literal(name) == null)
        {
            var four = Lookup(name, A, out errno);
            if (four == null) return null;
            r.AddRange(four);
        }
        for (int i = 0; i < r.Count; i++) if (r[i].Length == 4) r[i] = Ip.Mapped(r[i]);
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
