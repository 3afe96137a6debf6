using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Relay.Layer1.Channels;
using Relay.Layer1.Format;
using Relay.Layer1.Identity;

namespace Relay.Benchmarks;

/// <summary>
/// The per-file cost of the envelope: writing and opening a file with a small body (one ack
/// record), encrypted and sign-only, and beside it the two steps of the envelope's public-key
/// work (ECDH P-256 key agreement, ES256 verification) and the RSA-2048 OAEP decryption the
/// version 1 envelope needed, measured in the same run. Prints one JSON line last.
/// </summary>
internal static class EnvelopeBenchmark
{
    private const int Repeats = 5;

    public static int Run(bool quick, TextWriter output)
    {
        var iterations = quick ? 500 : 3000;
        using var siteA = NodeKeyPair.Generate("site-a");
        using var siteB = NodeKeyPair.Generate("site-b");
        var encrypted = Codecs(siteA, siteB, siteB.PublicKeys, siteA.PublicKeys);
        var signedOnly = Codecs(siteA, siteB, siteB.PublicKeys.WithProtection(BodyProtection.SignedOnly), siteA.PublicKeys.WithProtection(BodyProtection.SignedOnly));

        var body = new byte[BodyRecords.AckRecordLength(0)];
        BodyRecords.WriteAck(body, new AckState(1, 0, []));
        var name = SegmentFileName.Create("site-a", "site-b", 1);
        var manifest = new SegmentManifest
        {
            Version = SegmentCodec.ProtocolVersion,
            Sender = "site-a",
            Recipient = "site-b",
            Channel = "site-a>site-b",
            FileName = name,
            CreatedAt = DateTimeOffset.UtcNow,
            LamportTime = 1,
            BodyLength = body.Length,
        };

        var results = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (label, (writer, reader)) in new[] { ("encrypted", encrypted), ("signed_only", signedOnly) })
        {
            var file = WriteFile(writer, manifest, body);
            var destination = new byte[file.Length];
            if (!reader.Decode(file, name, destination).IsAccepted)
            {
                throw new InvalidOperationException($"The {label} file does not decode.");
            }

            results[label + "_write_ms"] = Measure(iterations, () => WriteFile(writer, manifest, body));
            results[label + "_open_ms"] = Measure(iterations, () => reader.Decode(file, name, destination));
            results[label + "_file_bytes"] = file.Length;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label}: write {results[label + "_write_ms"]:F3} ms, open {results[label + "_open_ms"]:F3} ms per file ({file.Length} bytes with a {body.Length}-byte body)"));
        }

        // The public-key steps alone: what an envelope costs beyond JSON, base64url and AES-GCM.
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        results["ecdh_p256_agree_ms"] = Measure(iterations, () => siteB.EncryptionKey.DeriveRawSecretAgreement(ephemeral.PublicKey));
        var data = new byte[600];
        var signature = siteA.SigningKey.SignData(data, HashAlgorithmName.SHA256);
        results["es256_sign_ms"] = Measure(iterations, () => siteA.SigningKey.SignData(data, HashAlgorithmName.SHA256));
        results["es256_verify_ms"] = Measure(iterations, () => siteA.PublicKeys.SigningKey.VerifyData(data, signature, HashAlgorithmName.SHA256));
        using var rsa = RSA.Create(2048);
        var wrapped = rsa.Encrypt(new byte[64], RSAEncryptionPadding.OaepSHA1);
        results["v1_rsa2048_oaep_unwrap_ms"] = Measure(iterations, () => rsa.Decrypt(wrapped, RSAEncryptionPadding.OaepSHA1));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"public-key steps: ECDH P-256 {results["ecdh_p256_agree_ms"]:F3} ms, ES256 sign {results["es256_sign_ms"]:F3} ms, verify {results["es256_verify_ms"]:F3} ms; v1's RSA-2048 OAEP unwrap {results["v1_rsa2048_oaep_unwrap_ms"]:F3} ms"));
        output.WriteLine(JsonSerializer.Serialize(results));
        return 0;
    }

    private static (SegmentCodec Writer, SegmentCodec Reader) Codecs(NodeKeyPair sender, NodeKeyPair recipient, PeerPublicKeys recipientAsPeer, PeerPublicKeys senderAsPeer) =>
        (new SegmentCodec(sender, id => id == recipient.NodeId ? recipientAsPeer : null), new SegmentCodec(recipient, id => id == sender.NodeId ? senderAsPeer : null));

    private static byte[] WriteFile(SegmentCodec writer, SegmentManifest manifest, byte[] body)
    {
        using var stream = new MemoryStream();
        writer.Write(stream, manifest, body);
        return stream.ToArray();
    }

    // Milliseconds per call: the median of several timed runs after a warm-up run, as the machines vary from run to run.
    private static double Measure(int iterations, Action action)
    {
        var runs = new List<double>(Repeats);
        for (var run = -1; run < Repeats; run++)
        {
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++)
            {
                action();
            }

            if (run >= 0)
            {
                runs.Add(stopwatch.Elapsed.TotalMilliseconds / iterations);
            }
        }

        runs.Sort();
        return runs[runs.Count / 2];
    }
}
