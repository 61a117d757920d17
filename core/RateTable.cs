// New connections per client address, at most N in S seconds: a token bucket of N tokens
// refilled at N per S seconds, kept as the time at which each address's bucket is full again
// (the "generic cell rate algorithm": one number per address). An address whose bucket is full
// is as if never seen, so the table holds only addresses seen lately, and at most Capacity.
using System.Collections.Generic;

namespace Toolkit;

public sealed class RateTable
{
    /// <summary>The default bound: 65536 addresses, about 3 MB of table when full.</summary>
    public const int DefaultCapacity = 65536;
    const long Micro = 1_000_000;

    readonly int capacity;
    readonly Dictionary<IpKey, long> full = new(); // µs on Clock when the bucket is full again

    public RateTable(int capacity = DefaultCapacity) => this.capacity = capacity;

    public int Count => full.Count;

    /// <summary>Whether one more connection from key is allowed at now (Clock, µs) under n per
    /// seconds; if so, it is counted.</summary>
    public bool Allow(IpKey key, ulong n, ulong seconds, long now)
    {
        if (n == 0) return false;
        long window = (long)seconds * Micro, interval = Math.Max(1, window / (long)Math.Min(n, (ulong)window));
        bool known = full.TryGetValue(key, out long at);
        long start = known && at > now ? at : now;
        if (start + interval - now > window) return false;
        if (!known && full.Count >= capacity) MakeRoom(now);
        full[key] = start + interval;
        return true;
    }

    /// <summary>Forgets the addresses whose buckets are full again (nothing is lost), then, if
    /// that freed less than an eighth of the table, those nearest to full, an eighth of the span
    /// of times left at a time, until it has: a flood from more addresses than the table holds
    /// forgives the oldest debts first.</summary>
    void MakeRoom(long now)
    {
        long cutoff = now;
        for (;;)
        {
            long least = long.MaxValue, most = long.MinValue;
            foreach (var (key, at) in full)
            {
                if (at <= cutoff) full.Remove(key);
                else { least = Math.Min(least, at); most = Math.Max(most, at); }
            }
            if (full.Count <= capacity - Math.Max(1, capacity / 8)) return;
            cutoff = least + (most - least) / 8;
        }
    }
}
