// tcpserver's access rules (djb's rules.c): the first key present in the rules cdb, in the
// order INFO@IP, INFO@=HOST, IP, =HOST, the IP's prefixes ending in "." (or ":" for an IPv6
// address) longest first, =.SUFFIX for each "." in HOST from the left, "=" (with a host name),
// and the empty key. A rule's data is a list of NUL-terminated entries: "D" denies,
// "+NAME=VALUE" sets a variable.
using System.Collections.Generic;

namespace Toolkit;

public sealed class Rule
{
    /// <summary>The key that matched, e.g. "1.2.3." or "=" or "".</summary>
    public byte[] Key;
    public byte[] Data;

    /// <summary>The NUL-terminated entries of the data, in order (bytes after the last NUL ignored).</summary>
    public List<byte[]> Entries()
    {
        var entries = new List<byte[]>();
        var rest = Data.AsSpan();
        int end;
        while ((end = rest.IndexOf((byte)0)) >= 0)
        {
            entries.Add(rest.Slice(0, end).ToArray());
            rest = rest.Slice(end + 1);
        }
        return entries;
    }

    /// <summary>Whether tcpserver denies the connection: some entry is "D...".</summary>
    public bool Denies
    {
        get
        {
            foreach (var e in Entries()) if (e.Length > 0 && e[0] == 'D') return true;
            return false;
        }
    }

    /// <summary>The variables tcpserver sets: the "+NAME=VALUE" entries in order (those
    /// without "=" are ignored).</summary>
    public List<(byte[] Name, byte[] Value)> Variables()
    {
        var env = new List<(byte[], byte[])>();
        foreach (var e in Entries())
        {
            if (e.Length == 0 || e[0] != '+') continue;
            int split = e.AsSpan(1).IndexOf((byte)'=');
            if (split >= 0) env.Add((e.AsSpan(1, split).ToArray(), e.AsSpan(split + 2).ToArray()));
        }
        return env;
    }
}

public static class Rules
{
    /// <summary>Looks the connection up in the open cdb: Yes with the rule, No if no key matches,
    /// Error on a read or format error (cdb.Errno). host and info may be null (unknown).</summary>
    public static Found Find(Cdb cdb, ReadOnlySpan<byte> ip, byte[] host, byte[] info, out Rule rule)
    {
        rule = null;
        Found r;
        if (info != null)
        {
            if ((r = Try(cdb, out rule, info, "@"u8, ip)) != Found.No) return r;
            if (host != null && (r = Try(cdb, out rule, info, "@="u8, host)) != Found.No) return r;
        }
        if ((r = Try(cdb, out rule, ip)) != Found.No) return r;
        if (host != null && (r = Try(cdb, out rule, "="u8, host)) != Found.No) return r;
        bool ipv6 = ip.IndexOf((byte)':') >= 0;
        for (int len = ip.Length; len > 0; len--)
            if ((ip[len - 1] == '.' || (ipv6 && ip[len - 1] == ':')) && (r = Try(cdb, out rule, ip.Slice(0, len))) != Found.No) return r;
        if (host != null)
        {
            for (int i = 0; i < host.Length; i++)
                if (host[i] == '.' && (r = Try(cdb, out rule, "="u8, host.AsSpan(i))) != Found.No) return r;
            if ((r = Try(cdb, out rule, "="u8)) != Found.No) return r;
        }
        return Try(cdb, out rule, default);
    }

    /// <summary>Opens the rules cdb at path and looks the connection up (see Find); Error with
    /// errno if the file cannot be opened or read (ENOENT: it does not exist).</summary>
    public static Found Find(ReadOnlySpan<byte> path, ReadOnlySpan<byte> ip, byte[] host, byte[] info, out Rule rule, out int errno)
    {
        rule = null;
        using var cdb = Cdb.Open(path, out errno);
        if (cdb == null) return Found.Error;
        var r = Find(cdb, ip, host, info, out rule);
        if (r == Found.Error) errno = cdb.Errno;
        return r;
    }

    static Found Try(Cdb cdb, out Rule rule, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b = default, ReadOnlySpan<byte> c = default)
    {
        rule = null;
        var key = new byte[a.Length + b.Length + c.Length];
        a.CopyTo(key);
        b.CopyTo(key.AsSpan(a.Length));
        c.CopyTo(key.AsSpan(a.Length + b.Length));
        var r = cdb.Find(key);
        if (r != Found.Yes) return r;
        var data = cdb.Data();
        if (data == null) return Found.Error;
        rule = new Rule { Key = key, Data = data };
        return Found.Yes;
    }
}
