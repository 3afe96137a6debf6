using System.Security.Cryptography;
using System.Text;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Exit;

/// <summary>
/// Whose an <c>Idempotency-Key</c> is: the route plus a fingerprint of the caller's credentials
/// (<c>Authorization</c> and <c>Cookie</c>), so one caller's key never reaches another's kept response.
/// Only the SHA-256 of the credentials is kept, never the credentials.
/// </summary>
internal static class IdempotencyScope
{
    public static string Of(RequestHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Add(hash, "route");
        Add(hash, head.Route ?? "");
        foreach (var (name, value) in head.Headers)
        {
            if (string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "Cookie", StringComparison.OrdinalIgnoreCase))
            {
                Add(hash, name.ToUpperInvariant());
                Add(hash, value);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    // Length-prefixed, so no choice of values can make two different lists hash alike.
    private static void Add(IncrementalHash hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
