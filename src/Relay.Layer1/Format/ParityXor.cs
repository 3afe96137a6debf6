using System.Numerics;
using System.Runtime.InteropServices;

namespace Relay.Layer1.Format;

/// <summary>XOR of byte runs, a vector at a time: parity files cover whole bodies of up to <c>MaxFileBytes</c>.</summary>
internal static class ParityXor
{
    /// <summary>XORs <paramref name="source"/> into the start of <paramref name="destination"/>, which is at least as long.</summary>
    public static void Into(Span<byte> destination, ReadOnlySpan<byte> source)
    {
        var length = source.Length;
        var vectors = length / Vector<byte>.Count;
        var into = MemoryMarshal.Cast<byte, Vector<byte>>(destination[..(vectors * Vector<byte>.Count)]);
        var from = MemoryMarshal.Cast<byte, Vector<byte>>(source[..(vectors * Vector<byte>.Count)]);
        for (var i = 0; i < into.Length; i++)
        {
            into[i] ^= from[i];
        }

        for (var i = vectors * Vector<byte>.Count; i < length; i++)
        {
            destination[i] ^= source[i];
        }
    }
}
