// RFC 1413 ident client as djb's remoteinfo: connect from the local IP to the client's port
// 113, send "REMOTEPORT , LOCALPORT\r\n", keep what follows the third ':' of the reply up to
// the newline, without spaces, tabs and CRs, at most 257 bytes; one deadline for all of it.
// Driven by poll(2) like a Dns query.
using System.Collections.Generic;

namespace Toolkit;

public sealed class Ident : IPollTask
{
    int fd;
    bool sent;
    int colons;
    readonly List<byte> info = new();
    readonly byte[] request;
    int requestSent;

    public int Fd => fd;
    public short Events { get; private set; }
    public long Deadline { get; private set; }
    public bool Done { get; private set; }
    /// <summary>The user information once Done, or null if the lookup failed.</summary>
    public byte[] Info;

    public Ident(ReadOnlySpan<byte> localIp, int localPort, ReadOnlySpan<byte> remoteIp, int remotePort, int timeoutSeconds)
    {
        Deadline = Clock.Now() + timeoutSeconds * 1000L;
        var r = new List<byte>(Numbers.Text((ulong)remotePort));
        r.AddRange(" , "u8.ToArray());
        r.AddRange(Numbers.Text((ulong)localPort));
        r.Add((byte)'\r'); r.Add((byte)'\n');
        request = r.ToArray();
        fd = Net.Socket(Native.SOCK_STREAM, nonBlocking: true, ipv6: localIp.Length == 16);
        if (fd == -1 || Net.Bind(fd, localIp, 0, reuse: false) == -1 ||
            (Net.Connect(fd, remoteIp, 113) == -1 && Native.Errno != Native.EINPROGRESS)) { Finish(false); return; }
        Events = Native.POLLOUT;
    }

    /// <summary>Runs a lookup to completion; null on failure.</summary>
    public static byte[] Lookup(ReadOnlySpan<byte> localIp, int localPort, ReadOnlySpan<byte> remoteIp, int remotePort, int timeoutSeconds)
    {
        var q = new Ident(localIp, localPort, remoteIp, remotePort, timeoutSeconds);
        Poll.Drive(q);
        return q.Info;
    }

    void Finish(bool ok)
    {
        if (fd != -1) Native.close(fd);
        fd = -1;
        Info = ok ? info.ToArray() : null;
        Done = true;
    }

    public void Step(short revents)
    {
        if (Done) return;
        if (revents == 0)
        {
            if (Clock.Now() >= Deadline) Finish(false);
            return;
        }
        if (!sent)
        {
            if (requestSent == 0 && Net.SocketError(fd) != 0) { Finish(false); return; }
            int w = Net.Send(fd, request.AsSpan(requestSent));
            if (w < 0) { if (Native.Errno != Native.EAGAIN) Finish(false); return; }
            requestSent += w;
            if (requestSent == request.Length) { sent = true; Events = Native.POLLIN; }
            return;
        }
        Span<byte> buf = stackalloc byte[128];
        int r = Net.Recv(fd, buf);
        if (r < 0 && (Native.Errno == Native.EAGAIN || Native.Errno == Native.EINTR)) return;
        if (r <= 0) { Finish(false); return; }
        for (int i = 0; i < r; i++)
        {
            byte ch = buf[i];
            if (ch == ' ' || ch == '\t' || ch == '\r') continue;
            if (ch == '\n') { Finish(true); return; }
            if (colons < 3) { if (ch == ':') colons++; continue; }
            info.Add(ch);
            if (info.Count > 256) { Finish(true); return; }
        }
    }
}
