using System.Buffers.Binary;

namespace Relay.Layer1.Tests.Support;

/// <summary>
/// Deterministic message bodies: the first 8 bytes carry the index, the rest come from a generator
/// seeded by the index, so a receiver can rebuild and compare what it should have got.
/// </summary>
internal static class TestPayloads
{
    public static byte[] Create(int seed, int index, int length)
    {
        var bytes = new byte[length];
        new Random(unchecked((seed * 1_000_003) + index)).NextBytes(bytes);
        if (length >= 8)
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes, index);
        }

        return bytes;
    }

    /// <summary>Sizes from 0 bytes to 8 MiB: many small, some medium, a few large.</summary>
    public static int[] MixedSizes(int seed, int count, int largeCount, int maxLarge = 8 * 1024 * 1024)
    {
        var random = new Random(seed);
        var sizes = new int[count];
        for (var i = 0; i < count; i++)
        {
            var roll = random.NextDouble();
            sizes[i] = roll < 0.02 ? random.Next(16 * 1024, 512 * 1024) : random.Next(0, 2048);
        }

        // Spread the large ones through the run, including the very largest size.
        for (var i = 0; i < largeCount; i++)
        {
            var at = (int)((long)count * (i + 1) / (largeCount + 1));
            sizes[at] = i == 0 ? maxLarge : random.Next(1024 * 1024, maxLarge);
        }

        sizes[1] = 0;
        return sizes;
    }
}
