using System.Buffers.Text;
using System.IO.Abstractions;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Relay.Layer1.State;

namespace Relay.Layer1.Identity;

/// <summary>Converts between BCL keys and JWK set files, and computes RFC 7638 thumbprints.</summary>
internal static class JsonWebKeys
{
    public const string SigningAlgorithm = "ES256";
    public const string EncryptionAlgorithm = "ECDH-ES+A256KW";

    public static JsonWebKeyDocument FromSigningKey(ECDsa key, bool includePrivate) =>
        FromP256(key.ExportParameters(includePrivate), "sig", SigningAlgorithm, includePrivate);

    public static JsonWebKeyDocument FromEncryptionKey(ECDiffieHellman key, bool includePrivate) =>
        FromP256(key.ExportParameters(includePrivate), "enc", EncryptionAlgorithm, includePrivate);

    public static ECDsa ToSigningKey(JsonWebKeyDocument document, bool requirePrivate, string source) =>
        CreateP256(() => ECDsa.Create(ToP256(document, requirePrivate, source, "signing")), source, "signing");

    public static ECDiffieHellman ToEncryptionKey(JsonWebKeyDocument document, bool requirePrivate, string source) =>
        CreateP256(() => ECDiffieHellman.Create(ToP256(document, requirePrivate, source, "encryption")), source, "encryption");

    private static JsonWebKeyDocument FromP256(ECParameters parameters, string use, string algorithm, bool includePrivate)
    {
        var document = new JsonWebKeyDocument
        {
            KeyType = "EC",
            Use = use,
            Algorithm = algorithm,
            Curve = "P-256",
            X = Base64Url.EncodeToString(parameters.Q.X),
            Y = Base64Url.EncodeToString(parameters.Q.Y),
            D = includePrivate ? Base64Url.EncodeToString(parameters.D) : null,
        };
        document.KeyId = Thumbprint(document);
        return document;
    }

    private static ECParameters ToP256(JsonWebKeyDocument document, bool requirePrivate, string source, string role)
    {
        if (document.KeyType != "EC" || document.Curve != "P-256" || document.X is null || document.Y is null)
        {
            // RSA encryption keys belong to file format 1, which nothing reads any more.
            var remedy = document.KeyType == "RSA" ? " It is an RSA key, from before file format 2: make the node's keys again with relay keygen --force and give its peers the new public file." : "";
            throw new InvalidDataException($"{source}: the {role} key must be an EC P-256 key with x and y.{remedy}");
        }

        if (requirePrivate && document.D is null)
        {
            throw new InvalidDataException($"{source}: the {role} key has no private part (d).");
        }

        return new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Decode(document.X, source), Y = Decode(document.Y, source) },
            D = requirePrivate ? Decode(document.D!, source) : null,
        };
    }

    private static T CreateP256<T>(Func<T> create, string source, string role)
    {
        try
        {
            return create();
        }
        catch (CryptographicException exception)
        {
            throw new InvalidDataException($"{source}: the {role} key is not a valid P-256 key.", exception);
        }
    }

    /// <summary>RFC 7638: SHA-256 of the required members in lexicographic order, base64url.</summary>
    public static string Thumbprint(JsonWebKeyDocument key)
    {
        var canonical = key.KeyType switch
        {
            "EC" => $$"""{"crv":"{{key.Curve}}","kty":"EC","x":"{{key.X}}","y":"{{key.Y}}"}""",
            _ => throw new InvalidDataException($"Unsupported key type '{key.KeyType}'."),
        };
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    public static JsonWebKeySetDocument Read(IFileSystem fileSystem, string path)
    {
        if (fileSystem.Directory.Exists(path))
        {
            throw new InvalidDataException($"{path}: is a folder, not a key file.");
        }

        JsonWebKeySetDocument? document;
        try
        {
            using var stream = fileSystem.File.OpenRead(path);
            if (stream.Length == 0)
            {
                throw new InvalidDataException($"{path}: the key file is empty.");
            }

            document = JsonSerializer.Deserialize(stream, KeyFileJsonContext.Default.JsonWebKeySetDocument);
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"{path}: not a JWK set: {exception.Message}", exception);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InvalidDataException($"{path}: does not exist.", exception);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot be read: {exception.Message}", exception);
        }

        if (document is null || document.Keys.Count == 0)
        {
            throw new InvalidDataException($"{path}: the JWK set has no keys.");
        }

        return document;
    }

    /// <summary>True when any key of the set carries private members.</summary>
    public static bool HasPrivateMembers(JsonWebKeySetDocument set) =>
        set.Keys.Any(k => k.D is not null || k.P is not null || k.Q is not null || k.DP is not null || k.DQ is not null || k.InverseQ is not null);

    public static void Write(IFileSystem fileSystem, string path, JsonWebKeySetDocument document, bool isPrivate)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(document, KeyFileJsonContext.Readable.JsonWebKeySetDocument);
        // A private key file is created owner-only, so no other user can open it while (or after) the
        // secret is written; one that already existed is tightened before it is overwritten.
        using var stream = isPrivate
            ? OwnerOnlyFiles.Create(fileSystem, path, FileMode.Create, FileShare.None)
            : fileSystem.FileStream.New(path, FileMode.Create, FileAccess.Write, FileShare.None);
        if (isPrivate && !OperatingSystem.IsWindows())
        {
            fileSystem.File.SetUnixFileMode(path, OwnerOnlyFiles.FileMode);
        }

        stream.Write(json);
    }

    public static JsonWebKeyDocument Find(JsonWebKeySetDocument set, string use, string path)
    {
        var matching = set.Keys.Where(k => k.Use == use).ToList();
        return matching.Count switch
        {
            1 => matching[0],
            0 => throw new InvalidDataException($"{path}: the JWK set has no key with \"use\": \"{use}\"; a node's key file holds one \"sig\" and one \"enc\" key."),
            _ => throw new InvalidDataException($"{path}: the JWK set has {matching.Count} keys with \"use\": \"{use}\"; a node's key file holds exactly one of each use."),
        };
    }

    private static byte[] Decode(string value, string source)
    {
        try
        {
            return Base64Url.DecodeFromChars(value);
        }
        catch (FormatException exception)
        {
            throw new InvalidDataException($"{source}: a key member is not base64url.", exception);
        }
    }
}
