// djb's dns_ip4_qualify (dns_rcrw.c, dns_ipq.c), how tcpclient and tcpserver look up a host
// name. The name is first rewritten by rules, kept as djb keeps them: one after another, each
// ended by a 0 byte. They come from $DNSREWRITEFILE (default /etc/dnsrewrite) if that file
// exists, else from the search list in $LOCALDOMAIN, else from the first search or domain line
// of /etc/resolv.conf, else from the domain of the host's own name. A rewritten name holding
// '+' stands for several: the part before the first '+' followed by each part after one, tried
// in order until one has addresses. Each is then read as dns_ip4 reads a name (Dns.Lookup), so a
// rewritten dotted quad never goes to DNS.
using System.Collections.Generic;

namespace Toolkit;

public static unsafe class DnsQualify
{
    /// <summary>The addresses of the first qualified name that has any: its A records (djb's
    /// dns_ip4_qualify), or for ucspi-tcp-ipv6's behaviour its AAAA and A records (Dns.Lookup6).
    /// None if no name has; null on temporary failure, with errno saying why. An IPv6 address
    /// is taken as it is: a search list's rules would append domains to it.</summary>
    public static List<byte[]> Addresses(ReadOnlySpan<byte> name, bool ipv6, out int errno)
    {
        if (ipv6 && name.IndexOf((byte)':') >= 0) return Dns.Lookup6(name, out errno);
        var rules = Rules(out errno);
        if (rules == null) return null;
        List<byte[]> found = [];
        foreach (var candidate in Candidates(Rewrite(name, rules)))
        {
            found = ipv6 ? Dns.Lookup6(candidate, out errno) : Dns.Lookup(candidate, Dns.A, out errno);
            if (found == null || found.Count > 0) break;
        }
        return found;
    }

    /// <summary>dns_resolvconfrewrite: the rules, or null with errno when a file that exists
    /// cannot be read.</summary>
    static byte[] Rules(out int errno)
    {
        var data = Files.ReadAll(Args.GetEnv("DNSREWRITEFILE"u8) ?? "/etc/dnsrewrite"u8.ToArray(), out errno);
        if (data != null) return FileRules(data);
        if (errno != Native.ENOENT) return null;
        errno = 0;
        var localDomain = Args.GetEnv("LOCALDOMAIN"u8);
        if (localDomain != null) return LocalDomainRules(localDomain);
        data = Files.ReadAll("/etc/resolv.conf"u8, out errno);
        if (data == null && errno != Native.ENOENT) return null;
        var rules = data == null ? null : ResolvConfRules(data);
        if (rules != null) { errno = 0; return rules; }
        var host = HostName(out errno);
        return host == null ? null : HostRules(host);
    }

    /// <summary>Each line of a dnsrewrite file is a rule, without trailing spaces, tabs and CRs.</summary>
    public static byte[] FileRules(ReadOnlySpan<byte> data)
    {
        var rules = new List<byte>(data.Length + 1);
        foreach (var line in new Lines(data))
        {
            var rule = line.TrimEnd(" \t\r"u8);
            rules.AddRange(rule);
            rules.Add(0);
        }
        return rules.ToArray();
    }

    /// <summary>$LOCALDOMAIN is split at every single space, so "a  b" has an empty domain
    /// between a and b, which asks for the name itself.</summary>
    public static byte[] LocalDomainRules(ReadOnlySpan<byte> list)
    {
        var domains = new List<byte[]>();
        foreach (var range in list.Split((byte)' ')) domains.Add(list[range].ToArray());
        return SearchRules(domains);
    }

    /// <summary>The first line starting "search" or "domain" and a space or tab gives the
    /// list, its words separated by spaces and tabs; null if there is no such line.</summary>
    public static byte[] ResolvConfRules(ReadOnlySpan<byte> conf)
    {
        foreach (var line in new Lines(conf))
        {
            if (line.Length < 7 || (line[6] != ' ' && line[6] != '\t')) continue;
            if (!line.Slice(0, 6).SequenceEqual("search"u8) && !line.Slice(0, 6).SequenceEqual("domain"u8)) continue;
            var domains = new List<byte[]>();
            var words = line.Slice(7);
            while (words.Length > 0)
            {
                int end = words.IndexOfAny((byte)' ', (byte)'\t');
                if (end < 0) end = words.Length;
                if (end > 0) domains.Add(words.Slice(0, end).ToArray());
                words = words.Slice(Math.Max(end, 1));
            }
            return SearchRules(domains);
        }
        return null;
    }

    /// <summary>A name with a dot is qualified by the part of the host's name from its first dot.</summary>
    public static byte[] HostRules(ReadOnlySpan<byte> host)
    {
        var rules = new List<byte>();
        int dot = host.IndexOf((byte)'.');
        if (dot >= 0)
        {
            rules.AddRange("?:"u8);
            rules.AddRange(host.Slice(dot));
            rules.Add(0);
        }
        rules.AddRange("*.:\0"u8);
        return rules.ToArray();
    }

    /// <summary>A name without a dot gets '+' and each domain appended (Candidates splits them
    /// again); then a trailing dot is dropped from any name.</summary>
    static byte[] SearchRules(List<byte[]> domains)
    {
        var rules = new List<byte>("?:"u8.ToArray());
        foreach (var d in domains)
        {
            rules.AddRange("+."u8);
            rules.AddRange(d);
        }
        rules.Add(0);
        rules.AddRange("*.:\0"u8);
        return rules.ToArray();
    }

    static byte[] HostName(out int errno)
    {
        var host = new byte[256];
        errno = 0;
        fixed (byte* p = host)
            if (Native.gethostname(p, host.Length) == -1) { errno = Native.Errno; return null; }
        host[^1] = 0;
        return host.AsSpan(0, host.AsSpan().IndexOf((byte)0)).ToArray();
    }

    /// <summary>Every rule in turn, each on the result of the ones before.</summary>
    public static byte[] Rewrite(ReadOnlySpan<byte> name, ReadOnlySpan<byte> rules)
    {
        var work = name.ToArray();
        foreach (var range in rules.Split((byte)0)) work = Apply(work, rules[range]);
        return work;
    }

    /// <summary>djb's doit. "=NAME:NEW": the whole name NAME becomes NEW. "*SUFFIX:NEW": a
    /// trailing SUFFIX becomes NEW. "?SUFFIX:NEW": the same, if the rest of the name has no dot
    /// and no bracket. "-SUFFIX:NEW": a name ending in SUFFIX becomes NEW. SUFFIX and NAME are
    /// compared ignoring case; a rule of any other form changes nothing.</summary>
    static byte[] Apply(byte[] work, ReadOnlySpan<byte> rule)
    {
        if (rule.Length == 0 || "?=*-"u8.IndexOf(rule[0]) < 0) return work;
        byte kind = rule[0];
        rule = rule.Slice(1);
        int colon = rule.IndexOf((byte)':');
        if (colon < 0 || work.Length < colon) return work;
        int prefix = work.Length - colon;
        if (kind == '=' && prefix > 0) return work;
        if (!Bytes.CaseEqual(rule.Slice(0, colon), work.AsSpan(prefix))) return work;
        if (kind == '?' && work.AsSpan(0, prefix).IndexOfAny((byte)'.', (byte)'[', (byte)']') >= 0) return work;
        if (kind == '-') prefix = 0;
        return [.. work.AsSpan(0, prefix), .. rule.Slice(colon + 1)];
    }

    /// <summary>The names a rewritten name stands for: itself if it has no '+', else the part
    /// before the first '+' joined to each part after one ("a+.b+.c" is a.b, then a.c).</summary>
    public static List<byte[]> Candidates(ReadOnlySpan<byte> fqdn)
    {
        int plus = fqdn.IndexOf((byte)'+');
        if (plus < 0) return [fqdn.ToArray()];
        var names = new List<byte[]>();
        var head = fqdn.Slice(0, plus);
        foreach (var range in fqdn.Slice(plus + 1).Split((byte)'+'))
            names.Add([.. head, .. fqdn.Slice(plus + 1)[range]]);
        return names;
    }
}
