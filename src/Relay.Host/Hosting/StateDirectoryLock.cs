using System.Globalization;
using System.IO.Abstractions;
using Relay.Layer1.State;

namespace Relay.Host.Hosting;

/// <summary>
/// One process per state directory: two writers on one channel would break exactly-once delivery.
/// Held as an exclusive OS lock on <c>relay.lock</c> for the life of the process, so it goes with the
/// process however that ends (a killed node's lock never blocks its restart); the holder's pid is
/// written beside it, in <c>relay.pid</c>, only to say who holds it.
/// </summary>
public sealed class StateDirectoryLock : IDisposable
{
    public const string LockFileName = "relay.lock";
    public const string PidFileName = "relay.pid";

    private readonly FileSystemStream _lock;

    private StateDirectoryLock(FileSystemStream held) => _lock = held;

    /// <summary>Takes the lock, or explains in one sentence who holds it.</summary>
    /// <exception cref="InvalidOperationException">Another process holds the directory; the message names it and the pid.</exception>
    public static StateDirectoryLock Acquire(IFileSystem fileSystem, string stateDirectory)
    {
        OwnerOnlyFiles.CreateDirectory(fileSystem, stateDirectory);
        var lockPath = fileSystem.Path.Combine(stateDirectory, LockFileName);
        var pidPath = fileSystem.Path.Combine(stateDirectory, PidFileName);
        FileSystemStream held;
        try
        {
            held = fileSystem.FileStream.New(lockPath, OwnerOnlyFiles.Options(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0));
        }
        catch (IOException exception) when (exception is not (FileNotFoundException or DirectoryNotFoundException))
        {
            var holder = fileSystem.File.Exists(pidPath) ? fileSystem.File.ReadAllText(pidPath).Trim() : "unknown";
            throw new InvalidOperationException(
                $"the state directory {stateDirectory} is in use by process {holder} (another relay run of this node?); stop that one first, or give this node another Relay:Node:StateDirectory");
        }

        OwnerOnlyFiles.WriteAllBytes(fileSystem, pidPath, System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
        return new StateDirectoryLock(held);
    }

    public void Dispose() => _lock.Dispose();
}
