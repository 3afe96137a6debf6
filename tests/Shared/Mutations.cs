using CsCheck;

namespace Relay.Tests.Shared;

/// <summary>Generates damaged copies of valid encodings: bit flips, truncation, extension, overwritten bytes.</summary>
internal static class Mutations
{
    public static Gen<byte[]> Of(Gen<byte[]> valid) =>
        valid.SelectMany(original => Gen.OneOf(
            Gen.Int[0, Math.Max(original.Length * 8 - 1, 0)].Array[1, 4].Select(bits => FlipBits(original, bits)),
            Gen.Int[0, original.Length].Select(length => original.AsSpan(0, length).ToArray()),
            Gen.Byte.Array[1, 64].Select(extra => (byte[])[.. original, .. extra]),
            Gen.Select(Gen.Int[0, Math.Max(original.Length - 1, 0)], Gen.Byte.Array[1, 16], (at, bytes) => Overwrite(original, at, bytes))));

    /// <summary>Bytes inserted anywhere, which shift everything after them.</summary>
    public static Gen<byte[]> Inserted(Gen<byte[]> valid) =>
        valid.SelectMany(original => Gen.Select(Gen.Int[0, original.Length], Gen.Byte.Array[1, 32], (at, bytes) => (byte[])[.. original.AsSpan(0, at), .. bytes, .. original.AsSpan(at)]));

    private static byte[] FlipBits(byte[] original, int[] bits)
    {
        var copy = (byte[])original.Clone();
        foreach (var bit in bits)
        {
            if (bit / 8 < copy.Length)
            {
                copy[bit / 8] ^= (byte)(1 << (bit % 8));
            }
        }

        return copy;
    }

    private static byte[] Overwrite(byte[] original, int at, byte[] bytes)
    {
        var copy = (byte[])original.Clone();
        for (var i = 0; i < bytes.Length && at + i < copy.Length; i++)
        {
            copy[at + i] = bytes[i];
        }

        return copy;
    }
}
