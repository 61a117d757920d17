// tcpserver's limits per client beyond djb's -c: connections at once from one address (-C, the
// rule variables MAXCONNIP and MAXCONIP) and from one block (MAXCONNC: a /24 or a /64), and new
// connections per time from one address (MAXCONNRATE="N/S", core/RateTable.cs). Every program
// started is counted under its address and block until its process is reaped, so the counts
// are the children alive, however they end.
using System.Collections.Generic;

namespace Toolkit;

public sealed class ConnectionLimits
{
    public enum Limit { None, PerIp, MaxConnIp, MaxConIp, MaxConnC, MaxConnRate }

    /// <summary>What one rule asks for (its limit variables); values that are no number are
    /// left out (Bad names the first).</summary>
    public struct Settings
    {
        public byte[] MaxConnIp, MaxConIp, MaxConnC, MaxConnRate, DieMsg, Bad;
        internal ulong RateCount, RateSeconds;
    }

    const ulong RateSecondsMax = uint.MaxValue;

    readonly ulong perIp;       // -C, or ulong.MaxValue
    readonly byte[] perIpText;
    readonly Dictionary<IpKey, int> byIp = new(), byBlock = new();
    readonly Dictionary<int, IpKey> children = new();
    RateTable rates; // made when a rule first sets a rate

    public ConnectionLimits(byte[] perIpOption)
    {
        perIpText = perIpOption;
        perIp = ulong.MaxValue;
        if (perIpOption != null) Numbers.ScanULong(perIpOption, out perIp);
    }

    /// <summary>Takes a rule variable into s if it is one of the limits (true).</summary>
    public static bool Take(ref Settings s, byte[] name, byte[] value)
    {
        var n = name.AsSpan();
        if (n.SequenceEqual("DIEMSG"u8)) s.DieMsg = value;
        else if (n.SequenceEqual("MAXCONNIP"u8)) s.MaxConnIp = Number(ref s, name, value);
        else if (n.SequenceEqual("MAXCONIP"u8)) s.MaxConIp = Number(ref s, name, value);
        else if (n.SequenceEqual("MAXCONNC"u8)) s.MaxConnC = Number(ref s, name, value);
        else if (n.SequenceEqual("MAXCONNRATE"u8)) s.MaxConnRate = Rate(ref s, name, value);
        else return false;
        return true;
    }

    static byte[] Number(ref Settings s, byte[] name, byte[] value)
    {
        if (value.Length > 0 && Numbers.ScanULong(value, out _) == value.Length) return value;
        s.Bad ??= name;
        return null;
    }

    static byte[] Rate(ref Settings s, byte[] name, byte[] value)
    {
        var v = value.AsSpan();
        int count = Numbers.ScanULong(v, out s.RateCount);
        int seconds = count > 0 && count < v.Length && v[count] == '/' ? Numbers.ScanULong(v.Slice(count + 1), out s.RateSeconds) : 0;
        if (seconds > 0 && count + 1 + seconds == v.Length && s.RateSeconds is > 0 and <= RateSecondsMax) return value;
        s.Bad ??= name;
        return null;
    }

    static ulong Value(byte[] text)
    {
        Numbers.ScanULong(text, out ulong v);
        return v;
    }

    /// <summary>Whether a connection from ip may be handed to its program under -C and the
    /// rule's settings (checked in that order: per address, per block, rate); the limit it hits
    /// if not. Only a connection let through counts against the rate.</summary>
    public Limit Admit(ReadOnlySpan<byte> ip, in Settings s)
    {
        var key = IpKey.Of(ip);
        Limit perIpLimit = s.MaxConnIp != null ? Limit.MaxConnIp : s.MaxConIp != null ? Limit.MaxConIp : perIpText != null ? Limit.PerIp : Limit.None;
        ulong maxIp = perIpLimit switch
        {
            Limit.MaxConnIp => Value(s.MaxConnIp),
            Limit.MaxConIp => Value(s.MaxConIp),
            _ => perIp,
        };
        if (perIpLimit != Limit.None && (ulong)Count(byIp, key) >= maxIp) return perIpLimit;
        if (s.MaxConnC != null && (ulong)Count(byBlock, key.Block) >= Value(s.MaxConnC)) return Limit.MaxConnC;
        if (s.MaxConnRate != null)
        {
            rates ??= new RateTable();
            if (!rates.Allow(key, s.RateCount, s.RateSeconds, Clock.Now() * 1000)) return Limit.MaxConnRate;
        }
        return Limit.None;
    }

    /// <summary>The limit as the log names it: "-C" or the variable, with its value.</summary>
    public void Describe(Limit limit, in Settings s, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        switch (limit)
        {
            case Limit.PerIp: name = "-C"u8; value = perIpText; break;
            case Limit.MaxConnIp: name = "MAXCONNIP"u8; value = s.MaxConnIp; break;
            case Limit.MaxConIp: name = "MAXCONIP"u8; value = s.MaxConIp; break;
            case Limit.MaxConnC: name = "MAXCONNC"u8; value = s.MaxConnC; break;
            default: name = "MAXCONNRATE"u8; value = s.MaxConnRate; break;
        }
    }

    static int Count(Dictionary<IpKey, int> table, IpKey key) => table.TryGetValue(key, out int n) ? n : 0;

    /// <summary>Counts the program pid serves a client at ip, until Ended(pid).</summary>
    public void Started(int pid, ReadOnlySpan<byte> ip)
    {
        var key = IpKey.Of(ip);
        children[pid] = key;
        byIp[key] = Count(byIp, key) + 1;
        byBlock[key.Block] = Count(byBlock, key.Block) + 1;
    }

    /// <summary>A child was reaped: if it was a program counted, it no longer is.</summary>
    public void Ended(int pid)
    {
        if (!children.Remove(pid, out var key)) return;
        Uncount(byIp, key);
        Uncount(byBlock, key.Block);
    }

    static void Uncount(Dictionary<IpKey, int> table, IpKey key)
    {
        int n = Count(table, key) - 1;
        if (n > 0) table[key] = n;
        else table.Remove(key);
    }

    /// <summary>Programs counted, addresses and blocks with one at least: (0, 0, 0) when all
    /// have ended.</summary>
    public (int Children, int Addresses, int Blocks) Counts => (children.Count, byIp.Count, byBlock.Count);
}
