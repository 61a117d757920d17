// Shared pieces of the ucspi-tcp tests: a running tcpserver (ours or Debian's) with its log,
// a client, and a real DNS server (dnsmasq) on a loopback address with test records.
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;

namespace Toolkit.Tests;

public sealed class Server : IDisposable
{
    readonly Process p;
    readonly StringBuilder log = new();
    public readonly int Port;

    /// <summary>Starts exe (after the shell commands in setup, e.g. a ulimit) on a port of its choice.</summary>
    public Server(string exe, string options, string program, IDictionary<string, string> env = null, string host = "127.0.0.1",
        string setup = "")
    {
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"{setup}exec {exe} -1 {options} {host} 0 {program}");
        if (env != null) foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
        p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (log) log.Append(e.Data).Append('\n'); };
        p.BeginErrorReadLine();
        var line = p.StandardOutput.ReadLine();
        if (line == null || !int.TryParse(line, out Port)) { Thread.Sleep(200); throw new InvalidOperationException($"no port from {exe}: {Log}"); }
    }

    public int Pid => p.Id;

    public string Log { get { lock (log) return log.ToString(); } }

    /// <summary>The log with pids and the two port numbers replaced, as comparable text.</summary>
    public string NormalLog(int remotePort = -1)
    {
        var s = Regex.Replace(Log, @"(pid|ok|deny|end) \d+", "$1 PID");
        s = s.Replace(":" + Port, ":LPORT");
        return Regex.Replace(s, @":\d+\n", ":RPORT\n");
    }

    public bool WaitLog(string text, int timeoutMs = 15000) => Harness.WaitFor(() => Log.Contains(text), timeoutMs);

    public void Dispose()
    {
        try { p.Kill(); p.WaitForExit(5000); } catch { }
        p.Dispose();
    }

    /// <summary>Connects (from a chosen local address if given), closes the sending side and reads to the end.</summary>
    public static string Exchange(System.Net.IPEndPoint to, System.Net.IPEndPoint from = null)
    {
        using var c = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 15000 };
        if (from != null) c.Bind(from);
        c.Connect(to);
        using var stream = new NetworkStream(c);
        c.Shutdown(SocketShutdown.Send);
        return new StreamReader(stream).ReadToEnd();
    }

    public static string Exchange(int port, string send = null, bool shutdown = true, int timeoutMs = 15000)
    {
        using var c = new TcpClient();
        c.Connect("127.0.0.1", port);
        c.ReceiveTimeout = timeoutMs;
        var s = c.GetStream();
        if (send != null) s.Write(Encoding.Latin1.GetBytes(send));
        if (shutdown) c.Client.Shutdown(SocketShutdown.Send);
        var ms = new MemoryStream();
        s.CopyTo(ms);
        return Encoding.Latin1.GetString(ms.ToArray());
    }
}

/// <summary>dnsmasq on port 53 of a loopback address of its own, with the records the tests use.</summary>
public sealed class DnsServer : IDisposable
{
    readonly Process p;
    public readonly string Ip;

    public DnsServer(string ip, params string[] records)
    {
        Ip = ip;
        var psi = new ProcessStartInfo("/usr/sbin/dnsmasq")
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "--no-daemon", "--port=53", "--listen-address=" + ip, "--bind-interfaces",
                     "--no-resolv", "--no-hosts", "--log-facility=-", "--local=/test/", "--local=/example/", "--local=/arpa/" }) psi.ArgumentList.Add(a);
        foreach (var r in records) psi.ArgumentList.Add(r);
        p = Process.Start(psi)!;
        if (!Harness.WaitFor(Answers, 10000)) throw new InvalidOperationException("dnsmasq did not start: " + p.StandardError.ReadToEnd());
    }

    bool Answers()
    {
        if (p.HasExited) return true;
        using var u = new UdpClient();
        try
        {
            u.Client.ReceiveTimeout = 200;
            var q = new byte[] { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, (byte)'x', 0, 0, 1, 0, 1 };
            u.Send(q, q.Length, Ip, 53);
            var ep = new System.Net.IPEndPoint(0, 0);
            return u.Receive(ref ep).Length > 0;
        }
        catch (SocketException) { return false; }
    }

    public void Dispose()
    {
        try { p.Kill(); p.WaitForExit(5000); } catch { }
        p.Dispose();
    }
}
