using System.IO.Abstractions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Relay.HttpProxy.Problems;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Async;

/// <summary>
/// Takes the response of one request answered 202 straight into its kept file, chunk by chunk as the
/// frames arrive. Each frame is written (and its state committed where it changes) before its
/// message is marked handled, so a restart of the entry node loses nothing and duplicates nothing:
/// the messages not yet marked come again and are appended only if newer than the file's last.
/// A response larger than the per-response cap, or one that no longer fits the node's storage
/// budget, or one the disk refuses (full, or failing part way through a write), is dropped: its file
/// goes, the far side is told to stop, and a problem is kept instead.
/// </summary>
internal sealed class AsyncResponseSink : IDisposable
{
    private readonly Guid _id;
    private readonly AsyncRequestStore _store;
    private readonly TimeProvider _time;
    private readonly Action<Guid, Task> _ended;
    private readonly AsyncStorageBudget _budget;
    private readonly long _maxBytes;
    private readonly Action<ProblemDetails, string> _dropped;
    private readonly Lock _gate = new();
    private FileSystemStream? _file;
    private long _lastSequence;
    private long _kept;

    /// <param name="id">The request.</param>
    /// <param name="store">Where its state is kept.</param>
    /// <param name="time">The clock.</param>
    /// <param name="ended">Told once the response is wholly kept, or failed, with the task committing that state.</param>
    /// <param name="budget">The storage all kept responses share.</param>
    /// <param name="maxBytes">The most bytes kept for this response.</param>
    /// <param name="dropped">Told that the response is dropped, with the problem kept and why (for the log): it tells the far side to stop sending it.</param>
    public AsyncResponseSink(Guid id, AsyncRequestStore store, TimeProvider time, Action<Guid, Task> ended, AsyncStorageBudget budget, long maxBytes, Action<ProblemDetails, string> dropped)
    {
        _id = id;
        _store = store;
        _time = time;
        _ended = ended;
        _budget = budget;
        _maxBytes = maxBytes;
        _dropped = dropped;
        _file = store.Bodies.OpenForAppend(id, out _lastSequence);

        // A file recovered after a restart is already counted in the budget (the node counts the folder when it opens).
        _kept = _file.Length;
    }

    /// <summary>Keeps a response head (and its inline body); returns what the message's mark must wait for.</summary>
    public Task OnHead(long sequence, Frame frame, ResponseHead head)
    {
        if (head.ContentLength > _maxBytes)
        {
            return Drop(RelayProblem.AsyncResponseTooLarge(_maxBytes));
        }

        if (Append(sequence, frame) is { } problem)
        {
            return Drop(problem);
        }

        var receiving = _store.ReceivingAsync(_id, head.Status, frame.HeadBytes.ToArray());
        return frame.EndOfBody ? End(receiving, frame.DeclaredTotal) : receiving;
    }

    /// <summary>Keeps a body chunk; returns what the message's mark must wait for.</summary>
    public Task OnData(long sequence, Frame frame)
    {
        if (Append(sequence, frame) is { } problem)
        {
            return Drop(problem);
        }

        return frame.EndOfBody ? End(Task.CompletedTask, frame.DeclaredTotal) : Task.CompletedTask;
    }

    /// <summary>Keeps a problem as the answer: the response will not come (or not whole), so what came of it goes.</summary>
    public Task Fail(ProblemDetails problem)
    {
        DeleteFile();
        var failed = _store.FailAsync(_id, problem.Status ?? 502, RelayProblem.Serialize(problem), _time.GetUtcNow());
        _ended(_id, failed);
        return failed;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _file?.Dispose();
            _file = null;
        }
    }

    private Task Drop((ProblemDetails Problem, string Why) refusal)
    {
        _dropped(refusal.Problem, refusal.Why);
        return Fail(refusal.Problem);
    }

    private Task Drop(ProblemDetails problem) => Drop((problem, problem.Detail!));

    // Null when kept (or already kept before a restart); the problem (and why, for the log) when the chunk was not kept.
    private (ProblemDetails Problem, string Why)? Append(long sequence, Frame frame)
    {
        lock (_gate)
        {
            if (sequence <= _lastSequence || _file is null)
            {
                return null;
            }

            // An empty record still moves the last sequence on, so the frame is not taken twice.
            long bytes = StoredBodyFile.RecordHeaderLength + frame.Body.Length;
            if (_kept + bytes > _maxBytes)
            {
                var tooLarge = RelayProblem.AsyncResponseTooLarge(_maxBytes);
                return (tooLarge, tooLarge.Detail!);
            }

            if (!_budget.TryTake(bytes))
            {
                var full = RelayProblem.AsyncStorageFull(_budget.Limit);
                return (full, full.Detail!);
            }

            // Counted before the write: whatever part of it lands is given back when the file goes.
            _kept += bytes;
            try
            {
                StoredBodyFile.Append(_file, sequence, BodyChunk.Of(frame));
            }
            catch (IOException exception)
            {
                // A full disk, or one failing part way through the record: what is kept is not the response.
                return (RelayProblem.AsyncResponseNotKept(), exception.Message);
            }

            _lastSequence = sequence;
            return null;
        }
    }

    private void DeleteFile()
    {
        lock (_gate)
        {
            _file?.Dispose();
            _file = null;
            if (_store.Bodies.TryDelete(_id, out _) is null)
            {
                // Counted as used until the purge deletes it.
                return;
            }

            _budget.Give(_kept);
            _kept = 0;
        }
    }

    private Task End(Task before, long declaredTotal)
    {
        Dispose();
        var complete = CompleteAfterAsync(before, declaredTotal);
        _ended(_id, complete);
        return complete;
    }

    private async Task CompleteAfterAsync(Task before, long declaredTotal)
    {
        await before.ConfigureAwait(false);
        await _store.CompleteAsync(_id, declaredTotal, _time.GetUtcNow()).ConfigureAwait(false);
    }
}
