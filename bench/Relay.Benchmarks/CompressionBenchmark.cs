using System.Diagnostics;
using System.Globalization;
using System.Text;
using Relay.HttpProxy.Protocol;

namespace Relay.Benchmarks;

/// <summary>
/// The body codecs as the product uses them: each 256 KiB chunk (the default <c>Http:ChunkBytes</c>)
/// its own block, LZ4 against Brotli quality 1 against none, on JSON, text and random bytes. For each:
/// compression and decompression speed on one core, the ratio, and the time to move 100 MB over links
/// of a few speeds. Chunks stream through, so encoding, the link and decoding overlap: the time is the
/// slowest of the three. The last line is JSON.
/// </summary>
internal static class CompressionBenchmark
{
    private const int ChunkBytes = 256 * 1024;
    private const double TransferBytes = 100e6;
    private static readonly double[] LinkBytesPerSecond = [1e6, 20e6, 200e6, 1000e6];
    private static readonly BodyCodec[] Codecs = [BodyCodec.None, BodyCodec.Lz4, BodyCodec.Brotli];

    public static int Run(bool quick, TextWriter output)
    {
        var size = quick ? 8 << 20 : 32 << 20;
        var corpora = new (string Name, byte[] Bytes)[] { ("json", Json(size)), ("text", Text(size)), ("random", Random(size)) };
        output.WriteLine($"codecs per {ChunkBytes / 1024} KiB block, {size >> 20} MiB per corpus, one core; time to move 100 MB = max(encode, link, decode)");
        output.WriteLine($"| corpus | codec | ratio | encode MB/s | decode MB/s | {string.Join(" | ", LinkBytesPerSecond.Select(l => $"{l / 1e6:F0} MB/s link"))} |");
        output.WriteLine($"|---|---|---|---|---|{string.Concat(LinkBytesPerSecond.Select(_ => "---|"))}");
        var results = new List<Dictionary<string, object>>();
        var crossover = new Dictionary<string, double>();
        foreach (var (name, bytes) in corpora)
        {
            var measured = Codecs.ToDictionary(codec => codec, codec => Measure(codec, bytes, quick ? 2 : 5));
            foreach (var (codec, figures) in measured)
            {
                var times = LinkBytesPerSecond.Select(link => TransferSeconds(figures, link)).ToArray();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {codec} | {figures.Ratio:F3} | {figures.EncodeBytesPerSecond / 1e6:F0} | {figures.DecodeBytesPerSecond / 1e6:F0} | {string.Join(" | ", times.Select(t => $"{t:F2} s"))} |"));
                results.Add(new Dictionary<string, object>
                {
                    ["corpus"] = name,
                    ["codec"] = codec.ToString(),
                    ["ratio"] = Math.Round(figures.Ratio, 4),
                    ["encode_mb_s"] = Math.Round(figures.EncodeBytesPerSecond / 1e6, 1),
                    ["decode_mb_s"] = Math.Round(figures.DecodeBytesPerSecond / 1e6, 1),
                });
            }

            crossover[name] = Crossover(measured[BodyCodec.Lz4], measured[BodyCodec.Brotli]);
        }

        foreach (var (name, link) in crossover)
        {
            output.WriteLine(double.IsNaN(link)
                ? $"{name}: LZ4 and Brotli never trade places between 0.1 and 10,000 MB/s"
                : string.Create(CultureInfo.InvariantCulture, $"{name}: LZ4 moves 100 MB sooner than Brotli above {link / 1e6:F0} MB/s"));
        }

        output.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { results, lz4_faster_above_mb_s = crossover.ToDictionary(c => c.Key, c => double.IsNaN(c.Value) ? (double?)null : Math.Round(c.Value / 1e6, 1)) }));
        return 0;
    }

    private static double TransferSeconds(Figures figures, double link) =>
        Math.Max(TransferBytes / figures.EncodeBytesPerSecond, Math.Max(TransferBytes * figures.Ratio / link, TransferBytes / figures.DecodeBytesPerSecond));

    // The link speed where LZ4 starts to win (NaN when one codec wins throughout), found on a log scale.
    private static double Crossover(Figures lz4, Figures brotli)
    {
        double? previous = null;
        for (var link = 1e5; link <= 1e10; link *= 1.02)
        {
            var lz4Wins = TransferSeconds(lz4, link) < TransferSeconds(brotli, link);
            if (previous is { } before && lz4Wins && before == 0)
            {
                return link;
            }

            previous = lz4Wins ? 1 : 0;
        }

        return double.NaN;
    }

    private static Figures Measure(BodyCodec codec, byte[] corpus, int rounds)
    {
        var encoded = new byte[corpus.Length / ChunkBytes][];
        var scratch = new byte[BodyBlock.MaxEncodedLength(ChunkBytes)];
        var codecs = new BodyCodec[encoded.Length];
        long encodedBytes = 0;
        var encodeTime = TimeSpan.MaxValue;
        for (var round = 0; round <= rounds; round++)
        {
            encodedBytes = 0;
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < encoded.Length; i++)
            {
                codecs[i] = BodyBlock.Encode(codec, corpus.AsSpan(i * ChunkBytes, ChunkBytes), scratch, out var written);
                encodedBytes += written;
                if (round == 0)
                {
                    encoded[i] = scratch.AsSpan(0, written).ToArray();
                }
            }

            // Round 0 warms up the code; the best of the rest is the figure (the machine is shared).
            if (round > 0)
            {
                encodeTime = Min(encodeTime, clock.Elapsed);
            }
        }

        var decoded = new byte[ChunkBytes];
        var decodeTime = TimeSpan.MaxValue;
        for (var round = 0; round <= rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < encoded.Length; i++)
            {
                if (codecs[i] == BodyCodec.None)
                {
                    encoded[i].CopyTo(decoded, 0);
                }
                else if (!BodyBlock.TryDecode(codecs[i], encoded[i].AsSpan(BodyBlock.PrefixLength), decoded))
                {
                    throw new InvalidOperationException($"{codec} block {i} does not decode.");
                }
            }

            if (round > 0)
            {
                decodeTime = Min(decodeTime, clock.Elapsed);
            }
        }

        double total = encoded.Length * (double)ChunkBytes;
        return new Figures(encodedBytes / total, total / encodeTime.TotalSeconds, total / decodeTime.TotalSeconds);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    // An API's answers: records with ids, names, amounts, timestamps and nested tags.
    private static byte[] Json(int size)
    {
        var random = new Random(1);
        var builder = new StringBuilder(size + 1024);
        builder.Append('[');
        for (var i = 0; builder.Length < size; i++)
        {
            builder.Append(CultureInfo.InvariantCulture,
                $"{{\"id\":{100000 + i},\"customer\":\"{Words[random.Next(Words.Length)]} {Words[random.Next(Words.Length)]}\",\"amount\":{random.Next(1, 100000) / 100.0},\"currency\":\"EUR\",\"created\":\"2026-{1 + random.Next(12):D2}-{1 + random.Next(28):D2}T{random.Next(24):D2}:{random.Next(60):D2}:00Z\",\"paid\":{(random.Next(2) == 0 ? "true" : "false")},\"tags\":[\"{Words[random.Next(Words.Length)]}\",\"{Words[random.Next(Words.Length)]}\"]}},");
        }

        return Encoding.UTF8.GetBytes(builder.ToString())[..size];
    }

    // Prose-like text: words of a small vocabulary, sentences, line breaks.
    private static byte[] Text(int size)
    {
        var random = new Random(2);
        var builder = new StringBuilder(size + 1024);
        while (builder.Length < size)
        {
            var words = 5 + random.Next(15);
            for (var w = 0; w < words; w++)
            {
                builder.Append(Words[random.Next(Words.Length)]).Append(w + 1 < words ? ' ' : '.');
            }

            builder.Append(random.Next(6) == 0 ? '\n' : ' ');
        }

        return Encoding.UTF8.GetBytes(builder.ToString())[..size];
    }

    // Stands for what is already compressed or encrypted.
    private static byte[] Random(int size)
    {
        var bytes = new byte[size];
        new Random(3).NextBytes(bytes);
        return bytes;
    }

    private static readonly string[] Words =
    [
        "relay", "invoice", "order", "customer", "shipment", "account", "balance", "north", "south", "river", "mountain", "folder", "mirror",
        "diode", "network", "packet", "report", "status", "pending", "complete", "the", "a", "of", "and", "to", "in", "is", "was", "for", "on",
        "with", "as", "by", "at", "from", "this", "that", "which", "under", "over", "before", "after", "quickly", "slowly", "green", "amber",
        "signal", "window", "credit", "stream", "message", "ledger", "payment", "refund", "archive", "station", "harbour", "valley", "bridge",
    ];

    private readonly record struct Figures(double Ratio, double EncodeBytesPerSecond, double DecodeBytesPerSecond);
}
