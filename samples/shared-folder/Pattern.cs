using System.Security.Cryptography;

namespace Relay.Samples.SharedFolder;

/// <summary>Deterministic bytes for large bodies, so both ends can check them without keeping them.</summary>
internal static class Pattern
{
    public static void Fill(Span<byte> buffer, long start)
    {
        for (var i = 0; i < buffer.Length; i++)
        {
            var position = start + i;
            buffer[i] = (byte)((position * 31) ^ (position >> 11));
        }
    }

    public static string Sha256(long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        for (long position = 0; position < length; position += buffer.Length)
        {
            var count = (int)Math.Min(buffer.Length, length - position);
            Fill(buffer.AsSpan(0, count), position);
            hash.AppendData(buffer, 0, count);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
