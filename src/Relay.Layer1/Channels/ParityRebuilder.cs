using System.Buffers;
using System.IO.Abstractions;
using System.Security.Cryptography;
using Relay.Layer1.Diagnostics;
using Relay.Layer1.Format;
using Relay.Layer1.State;

namespace Relay.Layer1.Channels;

/// <summary>
/// The receiving side of parity for one receive-only peer (docs/protocol.md, "Parity record"):
/// <list type="number">
/// <item>keeps the body of each authentic data file from the peer on disk, named by its SHA-256, the
///   newest <see cref="MaxKeptBodies"/> and at most <c>MaxHeldBytes</c> of them;</item>
/// <item>when a parity file comes, finds which of its members are kept; with exactly one missing, XORs
///   the parity with the others, checks the result against the hash the signed parity file gives, and
///   returns it to be read like the lost file's body;</item>
/// <item>a parity file still missing two or more members (they may only be late) waits, on disk, for
///   them: at most <see cref="MaxWaitingParity"/>, oldest dropped first.</item>
/// </list>
/// Only the index is in memory. A restart starts from nothing: groups in progress then cannot be rebuilt.
/// Called by the inbox reader only, one file at a time.
/// </summary>
internal sealed class ParityRebuilder
{
    /// <summary>Bodies kept: two groups of the largest size a parity record may name.</summary>
    public const int MaxKeptBodies = 2 * OneWay.OneWaySettings.MaxParityEvery;

    public const int MaxWaitingParity = 4;

    private readonly IFileSystem _fileSystem;
    private readonly string _directory;
    private readonly long _maxKeptBytes;
    private readonly Microsoft.Extensions.Logging.ILogger _logger;
    private readonly string _peer;
    private readonly Queue<(string Hash, int Length)> _order = new();
    private readonly HashSet<string> _kept = new(StringComparer.Ordinal);
    private readonly List<WaitingParity> _waiting = [];
    private long _keptBytes;

    public ParityRebuilder(IFileSystem fileSystem, string stateDirectory, string peer, long maxKeptBytes, Microsoft.Extensions.Logging.ILogger logger)
    {
        _fileSystem = fileSystem;
        _peer = peer;
        _maxKeptBytes = maxKeptBytes;
        _logger = logger;
        var root = fileSystem.Path.Combine(stateDirectory, "parity");
        _directory = fileSystem.Path.Combine(root, peer);
        OwnerOnlyFiles.CreateDirectory(fileSystem, root);
        OwnerOnlyFiles.CreateDirectory(fileSystem, _directory);
        foreach (var path in fileSystem.Directory.EnumerateFiles(_directory))
        {
            fileSystem.File.Delete(path);
        }
    }

    /// <summary>Keeps a data file's body; returns bodies of lost files this made rebuildable (from parity files that waited).</summary>
    public List<(byte[] Body, long Group)> Keep(ReadOnlySpan<byte> body)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(body));
        if (!_kept.Add(hash))
        {
            return [];
        }

        try
        {
            OwnerOnlyFiles.WriteAllBytes(_fileSystem, PathOf(hash), body);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The file itself is read all the same; only its group loses the chance of a rebuild.
            _kept.Remove(hash);
            Layer1Log.ParityKeepFailed(_logger, exception, _peer);
            return [];
        }

        _order.Enqueue((hash, body.Length));
        _keptBytes += body.Length;
        while (_order.Count > MaxKeptBodies || (_keptBytes > _maxKeptBytes && _order.Count > 1))
        {
            var (oldest, length) = _order.Dequeue();
            _kept.Remove(oldest);
            _keptBytes -= length;
            TryDelete(PathOf(oldest));
        }

        var rebuilt = new List<(byte[] Body, long Group)>();
        for (var i = _waiting.Count - 1; i >= 0; i--)
        {
            var waiting = _waiting[i];
            if (!waiting.Hashes.Contains(hash))
            {
                continue;
            }

            var parity = ReadWaiting(waiting);
            if (parity is null || Missing(parity) is not { Count: <= 1 } missing)
            {
                continue;
            }

            _waiting.RemoveAt(i);
            TryDelete(waiting.Path);
            if (missing.Count == 1 && Rebuild(parity, missing[0]) is { } body2)
            {
                rebuilt.Add((body2, parity.GroupId));
            }
        }

        return rebuilt;
    }

    /// <summary>
    /// Takes a parity record from an authentic parity file, whose whole body is <paramref name="parityBody"/>;
    /// returns the lost member's body when it could be rebuilt, else null (nothing lost, or it waits).
    /// </summary>
    public byte[]? OnParity(ParityRecord parity, ReadOnlySpan<byte> parityBody)
    {
        var missing = Missing(parity);
        if (missing.Count == 0)
        {
            return null;
        }

        if (missing.Count == 1)
        {
            return Rebuild(parity, missing[0]);
        }

        var path = _fileSystem.Path.Combine(_directory, $"{parity.GroupId:D20}.parity");
        try
        {
            OwnerOnlyFiles.WriteAllBytes(_fileSystem, path, parityBody);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Layer1Log.ParityKeepFailed(_logger, exception, _peer);
            return null;
        }

        _waiting.Add(new WaitingParity(path, parity.Members.Select(m => Convert.ToHexStringLower(m.Hash)).ToHashSet(StringComparer.Ordinal)));
        if (_waiting.Count > MaxWaitingParity)
        {
            TryDelete(_waiting[0].Path);
            _waiting.RemoveAt(0);
        }

        return null;
    }

    private List<int> Missing(ParityRecord parity)
    {
        var missing = new List<int>();
        for (var i = 0; i < parity.Members.Count; i++)
        {
            if (!_kept.Contains(Convert.ToHexStringLower(parity.Members[i].Hash)))
            {
                missing.Add(i);
            }
        }

        return missing;
    }

    private byte[]? Rebuild(ParityRecord parity, int lost)
    {
        var longest = parity.Xor.Length;
        var work = ArrayPool<byte>.Shared.Rent(longest);
        try
        {
            parity.Xor.Span.CopyTo(work);
            for (var i = 0; i < parity.Members.Count; i++)
            {
                if (i == lost)
                {
                    continue;
                }

                var member = parity.Members[i];
                var bytes = _fileSystem.File.ReadAllBytes(PathOf(Convert.ToHexStringLower(member.Hash)));
                if (bytes.Length != member.Length)
                {
                    Layer1Log.ParityRebuildFailed(_logger, _peer, parity.GroupId, "a kept member has changed on disk");
                    return null;
                }

                ParityXor.Into(work, bytes);
            }

            var target = parity.Members[lost];
            var body = work.AsSpan(0, target.Length).ToArray();

            // The signed parity file vouches for this hash: a body that matches it is the sender's own.
            if (!SHA256.HashData(body).AsSpan().SequenceEqual(target.Hash))
            {
                Layer1Log.ParityRebuildFailed(_logger, _peer, parity.GroupId, "the rebuilt body does not match its hash");
                return null;
            }

            return body;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Layer1Log.ParityRebuildFailed(_logger, _peer, parity.GroupId, exception.Message);
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(work);
        }
    }

    private ParityRecord? ReadWaiting(WaitingParity waiting)
    {
        try
        {
            var body = _fileSystem.File.ReadAllBytes(waiting.Path);
            return BodyRecords.TryRead(body, [], out _, out var parity) is null ? parity : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private string PathOf(string hash) => _fileSystem.Path.Combine(_directory, hash + ".body");

    private void TryDelete(string path)
    {
        try
        {
            _fileSystem.File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Layer1Log.FileDeleteFailed(_logger, exception, path);
        }
    }

    private sealed record WaitingParity(string Path, HashSet<string> Hashes);
}
