// svstat's formats for machines: -j, a JSON object per directory per line; -p, the Prometheus
// text format (node_exporter's textfile collector). Directory names are bytes: what is not
// UTF-8 in them is written as U+FFFD, so that the output is always valid for its parser.
using System.Text;
using Toolkit;

static class SvstatFormats
{
    public static void Json(Output o, Svstat.Probe p)
    {
        o.Put("{\"dir\":"u8);
        JsonString(o, p.Dir);
        if (p.Problem != null && !p.Absent)
        {
            o.Put(",\"error\":"u8);
            JsonString(o, p.Problem);
            o.Put("}\n"u8);
            return;
        }
        bool running = p.Problem == null;
        o.Put(",\"supervise\":"u8); Bool(o, running);
        o.Put(",\"up\":"u8); Bool(o, p.Up);
        o.Put(",\"pid\":"u8); Number(o, p.Up ? p.Status.Pid : null);
        o.Put(",\"seconds\":"u8); Number(o, running ? p.Seconds : null);
        o.Put(",\"normally_up\":"u8); Bool(o, p.NormallyUp);
        o.Put(",\"want\":"u8);
        o.Put(!running ? "null"u8 : p.Status.Want == 'u' ? "\"up\""u8 : p.Status.Want == 'd' ? "\"down\""u8 : "null"u8);
        o.Put(",\"paused\":"u8); Bool(o, p.Paused);
        o.Put(",\"ready_seconds\":"u8); Number(o, p.ReadySeconds);
        o.Put(",\"finishing\":"u8); Bool(o, running && !p.Up && p.Finishing);
        o.Put(",\"restart_in\":"u8); Number(o, p.RestartIn);
        o.Put("}\n"u8);
    }

    static void Bool(Output o, bool b) => o.Put(b ? "true"u8 : "false"u8);

    static void Number(Output o, ulong? n)
    {
        if (n is ulong v) o.Put(Numbers.Text(v));
        else o.Put("null"u8);
    }

    static void JsonString(Output o, ReadOnlySpan<byte> s)
    {
        o.Put((byte)'"');
        foreach (var b in Utf8(s))
        {
            if (b == '"' || b == '\\') { o.Put((byte)'\\'); o.Put(b); }
            else if (b < 0x20)
            {
                o.Put("\\u00"u8);
                o.Put(Numbers.HexDigit(b >> 4));
                o.Put(Numbers.HexDigit(b & 15));
            }
            else o.Put(b);
        }
        o.Put((byte)'"');
    }

    /// <summary>s with every byte that is not part of valid UTF-8 replaced by U+FFFD.</summary>
    static byte[] Utf8(ReadOnlySpan<byte> s)
    {
        var valid = new Bytes(s.Length + 8);
        Span<byte> encoded = stackalloc byte[4];
        while (s.Length > 0)
        {
            Rune.DecodeFromUtf8(s, out var rune, out int used);
            valid.Add(encoded.Slice(0, rune.EncodeToUtf8(encoded)));
            s = s.Slice(used);
        }
        return valid.ToArray();
    }

    /// <summary>One metric: its name, help text, and value for a directory whose supervise runs.</summary>
    readonly record struct Metric(byte[] Name, byte[] Help, Func<Svstat.Probe, ulong> Value);

    static readonly Metric[] Metrics =
    [
        new("daemontools_supervise_running"u8.ToArray(), "Whether a supervise is running in the service directory (1) or not (0)."u8.ToArray(),
            p => p.Problem == null ? 1UL : 0),
        new("daemontools_service_up"u8.ToArray(), "Whether the service is up."u8.ToArray(), p => p.Up ? 1UL : 0),
        new("daemontools_service_uptime_seconds"u8.ToArray(), "Seconds since the service went up (0 while it is down)."u8.ToArray(),
            p => p.Up ? p.Seconds : 0),
        new("daemontools_service_ready"u8.ToArray(), "Whether the service is up and, if it has a notification-fd, has said it is ready."u8.ToArray(),
            p => p.Ready ? 1UL : 0),
        new("daemontools_service_normally_up"u8.ToArray(), "Whether the service is up when supervise starts (no down file)."u8.ToArray(),
            p => p.NormallyUp ? 1UL : 0),
        new("daemontools_service_want_up"u8.ToArray(), "Whether supervise wants the service up."u8.ToArray(), p => p.Status.Want == 'u' ? 1UL : 0),
        new("daemontools_service_paused"u8.ToArray(), "Whether the service is paused."u8.ToArray(), p => p.Paused ? 1UL : 0),
    ];

    /// <summary>Each metric once, with one sample per directory; a directory without a running
    /// supervise has only daemontools_supervise_running.</summary>
    public static void Prometheus(Output o, Svstat.Probe[] probes)
    {
        for (int i = 0; i < Metrics.Length; i++)
        {
            var (name, help, value) = Metrics[i];
            o.Put("# HELP "u8); o.Put(name); o.Put((byte)' '); o.Put(help); o.Put((byte)'\n');
            o.Put("# TYPE "u8); o.Put(name); o.Put(" gauge\n"u8);
            bool always = i == 0;
            foreach (var p in probes)
            {
                if (!always && p.Problem != null) continue;
                o.Put(name);
                o.Put("{service=\""u8);
                foreach (var b in Utf8(p.Dir))
                {
                    if (b == '\n') { o.Put("\\n"u8); continue; }
                    if (b == '"' || b == '\\') o.Put((byte)'\\');
                    o.Put(b);
                }
                o.Put("\"} "u8);
                o.Put(Numbers.Text(value(p)));
                o.Put((byte)'\n');
            }
        }
    }
}
