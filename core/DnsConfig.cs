// Which name servers the resolver asks, as djb's dns_resolvconfip: $DNSCACHEIP if it names any,
// else the nameserver lines of /etc/resolv.conf, else 127.0.0.1; at most 16, read once.
using System.Collections.Generic;

namespace Toolkit;

public static class DnsConfig
{
    static List<byte[]> servers;

    public static List<byte[]> Servers()
    {
        if (servers != null) return servers;
        var list = new List<byte[]>();
        var env = Args.GetEnv("DNSCACHEIP"u8);
        if (env != null) ScanList(env, list);
        if (list.Count == 0)
        {
            var conf = Files.ReadAll("/etc/resolv.conf"u8, out _);
            foreach (var entry in new Lines(conf))
            {
                var line = entry;
                if (line.Length < 11 || !line.StartsWith("nameserver"u8) || (line[10] != ' ' && line[10] != '\t')) continue;
                line = line.Slice(10);
                while (line.Length > 0 && (line[0] == ' ' || line[0] == '\t')) line = line.Slice(1);
                var ip = new byte[4];
                if (list.Count < 16 && Ip.Scan4(line, ip) > 0)
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
            int n = Ip.Scan4(s, ip);
            if (n == 0) break;
            list.Add(ip);
            s = s.Slice(n);
        }
    }
}
