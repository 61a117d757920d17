// An address as a key of the limit tables: 16 bytes, IPv4 addresses IPv4-mapped so that an IPv4
// client of a dual-stack socket and of an IPv4 one count alike.
using System.Buffers.Binary;

namespace Toolkit;

public readonly record struct IpKey(ulong High, ulong Low)
{
    const ulong MappedPrefix = 0xffff_0000_0000, Ip4Block = 0xffff_ffff_ffff_ff00; // ::ffff:0:0, a /24 of it

    /// <summary>The key of a 4- or 16-byte address.</summary>
    public static IpKey Of(ReadOnlySpan<byte> ip)
    {
        if (ip.Length == 4) return new(0, MappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(ip));
        return new(BinaryPrimitives.ReadUInt64BigEndian(ip), BinaryPrimitives.ReadUInt64BigEndian(ip.Slice(8)));
    }

    bool IsIp4 => High == 0 && (Low & ~0xffff_ffffUL) == MappedPrefix;

    /// <summary>The address's block: its /24 for IPv4, its /64 for IPv6.</summary>
    public IpKey Block => IsIp4 ? new(0, Low & Ip4Block) : new(High, 0);
}
