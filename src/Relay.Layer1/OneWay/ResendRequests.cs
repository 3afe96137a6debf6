using System.IO.Abstractions;
using Relay.Layer1.Channels;
using Relay.Layer1.State;

namespace Relay.Layer1.OneWay;

/// <summary>
/// Gap reports handed to a node for its send-only peers: verified, then placed in the
/// <see cref="FolderName"/> folder of its state directory, where the running node takes them at its
/// next inbox poll, or a stopped node when it next starts; it verifies them again, writes the
/// ranges again and deletes the request.
/// </summary>
public static class ResendRequests
{
    public const string FolderName = "resend-requests";

    public const string Extension = ".gaps";

    public static string FolderIn(IFileSystem fileSystem, string stateDirectory)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        return fileSystem.Path.Combine(stateDirectory, FolderName);
    }

    /// <summary>Places a verified report for the node (written aside, then renamed); returns its path.</summary>
    public static string Submit(IFileSystem fileSystem, string stateDirectory, GapReport report, ReadOnlySpan<byte> file)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        ArgumentNullException.ThrowIfNull(report);
        var folder = FolderIn(fileSystem, stateDirectory);
        OwnerOnlyFiles.CreateDirectory(fileSystem, folder);
        var name = $"{report.Receiver}-{report.Created.ToUnixTimeMilliseconds():D15}-{Guid.NewGuid():N}{Extension}";
        var path = fileSystem.Path.Combine(folder, name);
        var temporary = fileSystem.Path.Combine(folder, "." + name + ".partial");
        OwnerOnlyFiles.WriteAllBytes(fileSystem, temporary, file);
        fileSystem.File.Move(temporary, path, overwrite: false);
        return path;
    }

    /// <summary>
    /// What <paramref name="report"/> would have written again, read from the state store without
    /// taking the node's lock, so it can be told while the node runs.
    /// </summary>
    public static ResendPlan Plan(string stateDirectory, GapReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var stored = StateStore.ReadStoredRanges(stateDirectory, report.Receiver);
        var last = StateStore.ReadChannelReadOnly(stateDirectory, report.Receiver).NextSequence - 1;
        return Plan(report.Requested(), stored, last);
    }

    /// <summary>Splits the requested ranges (up to <paramref name="last"/>, the last sequence ever queued) into what is stored and what is not.</summary>
    internal static ResendPlan Plan(IReadOnlyList<MissingRange> requested, IReadOnlyList<SequenceRange> stored, long last)
    {
        var queued = new List<MissingRange>();
        var forgotten = new List<MissingRange>();
        foreach (var range in requested)
        {
            var from = range.From;
            var to = Math.Min(range.To, last);
            foreach (var kept in stored)
            {
                if (kept.To < from || from > to)
                {
                    continue;
                }

                if (kept.From > to)
                {
                    break;
                }

                if (kept.From > from)
                {
                    forgotten.Add(new MissingRange(from, kept.From - 1));
                }

                var end = Math.Min(kept.To, to);
                queued.Add(new MissingRange(Math.Max(from, kept.From), end));
                from = end + 1;
            }

            if (from <= to)
            {
                forgotten.Add(new MissingRange(from, to));
            }
        }

        return new ResendPlan(queued, forgotten, last);
    }
}
