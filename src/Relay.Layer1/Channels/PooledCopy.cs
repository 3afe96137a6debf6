using System.Buffers;

namespace Relay.Layer1.Channels;

/// <summary>
/// Bytes copied out of a decode buffer: large ones into a pooled array (a fresh large array costs a
/// page fault per 4 KiB), small ones into an array of their own.
/// </summary>
internal readonly record struct PooledCopy(ReadOnlyMemory<byte> Memory, byte[]? Pooled)
{
    /// <summary>Below this a plain allocation is cheaper than renting.</summary>
    public const int Threshold = 16 * 1024;

    public static PooledCopy Of(ReadOnlySpan<byte> source)
    {
        if (source.Length < Threshold)
        {
            return new PooledCopy(source.ToArray(), null);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(source.Length);
        source.CopyTo(buffer);
        return new PooledCopy(buffer.AsMemory(0, source.Length), buffer);
    }

    public void Return()
    {
        if (Pooled is not null)
        {
            ArrayPool<byte>.Shared.Return(Pooled);
        }
    }
}
