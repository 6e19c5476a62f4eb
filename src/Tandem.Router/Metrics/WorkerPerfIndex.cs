using System.Text.Json;

namespace Tandem.Router.Metrics;

/// <summary>
/// One worker's <c>/perf_metrics</c> items by <c>ctx_request_id</c>, kept between calls because the worker hands each
/// item out once. Bounded: past <see cref="Capacity"/> the item that came in first is dropped. A second item with the
/// same id replaces the first.
/// </summary>
internal sealed class WorkerPerfIndex(int capacity)
{
    private readonly Dictionary<long, LinkedListNode<(long Id, JsonElement Item)>> _byId = [];
    private readonly LinkedList<(long Id, JsonElement Item)> _order = new();

    public int Capacity { get; } = capacity;

    public int Count => _byId.Count;

    public void Add(long ctxRequestId, JsonElement item)
    {
        Remove(ctxRequestId, out _);
        _byId[ctxRequestId] = _order.AddLast((ctxRequestId, item));
        while (_order.Count > Capacity)
        {
            _byId.Remove(_order.First!.Value.Id);
            _order.RemoveFirst();
        }
    }

    public bool Remove(long ctxRequestId, out JsonElement item)
    {
        if (!_byId.Remove(ctxRequestId, out var node))
        {
            item = default;
            return false;
        }

        _order.Remove(node);
        item = node.Value.Item;
        return true;
    }
}
