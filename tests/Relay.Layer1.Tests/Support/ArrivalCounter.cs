using System.Collections.Concurrent;

namespace Relay.Layer1.Tests.Support;

/// <summary>Counts how often each final name arrives in a folder by taking (deleting) every file that lands.</summary>
internal sealed class ArrivalCounter : IDisposable
{
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly string _folder;
    private readonly FileSystemWatcher _watcher;

    public ArrivalCounter(string folder)
    {
        _folder = folder;
        _watcher = new FileSystemWatcher(folder) { NotifyFilter = NotifyFilters.FileName, EnableRaisingEvents = true };
        _watcher.Renamed += (_, e) => Take(e.Name);
    }

    public int Count(string name)
    {
        // A rename the watcher has not reported yet is still in the folder.
        Take(name);
        return _counts.GetValueOrDefault(name);
    }

    public void Dispose() => _watcher.Dispose();

    private void Take(string? name)
    {
        if (name is null || name.StartsWith('.'))
        {
            return;
        }

        var path = Path.Combine(_folder, name);
        lock (_counts)
        {
            // File.Delete does not fail for a missing file, so count only what was really there.
            if (File.Exists(path))
            {
                File.Delete(path);
                _counts.AddOrUpdate(name, 1, (_, c) => c + 1);
            }
        }
    }
}
