namespace Relay.Layer1.State;

/// <summary>One queued write to the state store and the task that completes when it is committed.</summary>
internal sealed class StateWrite(Action<StateStore> apply)
{
    public Action<StateStore> Apply { get; } = apply;

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
