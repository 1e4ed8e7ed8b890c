using SockCat.Server;

namespace SockCat.IntegrationTests.Server;

/// <summary>A protocol that reports what happens to its (one) connection, and runs a test's code on each receive.</summary>
internal sealed class ProbeProtocol(ProbeProtocol.ReceiveHandler? onReceived = null) : IConnectionProtocol
{
    public delegate void ReceiveHandler(IConnection connection, ReadOnlySpan<byte> data);

    public TaskCompletionSource<IConnection> Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<string?> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<int> SlowConsumer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void OnConnected(IConnection connection) => Connected.TrySetResult(connection);

    public int OnReceived(IConnection connection, ReadOnlySpan<byte> data)
    {
        onReceived?.Invoke(connection, data);
        return data.Length;
    }

    public void OnSlowConsumer(IConnection connection, int limitBytes) => SlowConsumer.TrySetResult(limitBytes);

    public void OnClosed(IConnection connection, string? reason) => Closed.TrySetResult(reason);
}
