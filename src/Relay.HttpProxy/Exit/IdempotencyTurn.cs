namespace Relay.HttpProxy.Exit;

/// <summary>
/// One request's place in the line of requests with its caller's <c>Idempotency-Key</c>: it runs once
/// the one before it has finished, so a repeat sees the first one's response.
/// </summary>
internal sealed class IdempotencyTurn
{
    private readonly TaskCompletionSource? _done;
    private readonly Task? _previous;

    private IdempotencyTurn(string? callerKey, string? scope, Task? previous, TaskCompletionSource? done)
    {
        CallerKey = callerKey;
        Scope = scope;
        _previous = previous;
        _done = done;
    }

    /// <summary>The turn of a request without a caller key: it waits for nothing.</summary>
    public static IdempotencyTurn Unkeyed { get; } = new(null, null, null, null);

    public string? CallerKey { get; }

    /// <summary>Whose the key is (<see cref="IdempotencyScope"/>); null without a key.</summary>
    public string? Scope { get; }

    /// <summary>Completes when this request's turn finishes.</summary>
    internal Task? Done => _done?.Task;

    public static IdempotencyTurn After(string callerKey, string scope, Task? previous) =>
        new(callerKey, scope, previous, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Waits until the request before this one with the same key has finished.</summary>
    public Task WaitAsync() => _previous ?? Task.CompletedTask;

    public void Finish() => _done?.TrySetResult();
}
