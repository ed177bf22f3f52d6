using System.Numerics;

namespace Sysprint.Detection;

/// <summary>
/// Windows of calls as a trie grown backwards in time: the node of the window ending at call i
/// with k calls has, as children, the windows with one older call prepended. Walking back from a
/// call follows one child per step, so finding the longest seen window ending at each call costs
/// one table probe per step and stops at the first unseen window. Children live in one
/// open-addressing table keyed by (parent, call id): no allocation per probe.
/// </summary>
internal sealed class WindowTrie
{
    public const int IdBits = 17;

    private ulong[] _keys;
    private int[] _values;
    private int _mask;
    private int _used;
    private int[] _counts;
    private byte[] _depths;
    private int[] _parents;
    private int[] _ids;
    private int[] _starts;
    private byte[] _traces;
    private int[] _owners;

    public WindowTrie(int capacity = 1 << 16)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity * 2, 16));
        _keys = new ulong[size];
        _values = new int[size];
        _mask = size - 1;
        _counts = new int[Math.Max(capacity, 16)];
        _depths = new byte[_counts.Length];
        _parents = new int[_counts.Length];
        _ids = new int[_counts.Length];
        _starts = new int[_counts.Length];
        _traces = new byte[_counts.Length];
        _owners = new int[_counts.Length];
        NodeCount = 1;
    }

    /// <summary>Nodes including the root (id 0, the empty window).</summary>
    public int NodeCount { get; private set; }

    /// <summary>How often the node's window was learnt.</summary>
    public int Count(int node) => _counts[node];

    /// <summary>The number of calls in the node's window.</summary>
    public int Depth(int node) => _depths[node];

    /// <summary>The node's window without its oldest call (the root for a single call).</summary>
    public int Parent(int node) => _parents[node];

    /// <summary>The id of the node's oldest call.</summary>
    public int Id(int node) => _ids[node];

    /// <summary>How often the node's window was learnt starting at a thread's first call.</summary>
    public int Starts(int node) => _starts[node];

    /// <summary>How many learnt traces hold the node's window: 0, 1, or 2 for two or more.</summary>
    public int Traces(int node) => _traces[node];

    /// <summary>The trace that holds the window when <see cref="Traces"/> is 1 (else the last one that did).</summary>
    public int Owner(int node) => _owners[node];

    /// <summary>The child of <paramref name="parent"/> for one more (older) call, or -1.</summary>
    public int Child(int parent, int id)
    {
        ulong key = Key(parent, id);
        int slot = Slot(key);
        while (true)
        {
            ulong k = _keys[slot];
            if (k == key)
            {
                return _values[slot];
            }

            if (k == 0)
            {
                return -1;
            }

            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>The child, created (count 0) when missing; <paramref name="created"/> tells which.</summary>
    public int GetOrAddChild(int parent, int id, out bool created)
    {
        ulong key = Key(parent, id);
        int slot = Slot(key);
        while (true)
        {
            ulong k = _keys[slot];
            if (k == key)
            {
                created = false;
                return _values[slot];
            }

            if (k == 0)
            {
                break;
            }

            slot = (slot + 1) & _mask;
        }

        int node = NodeCount++;
        if (node == _counts.Length)
        {
            int size = _counts.Length * 2;
            Array.Resize(ref _counts, size);
            Array.Resize(ref _depths, size);
            Array.Resize(ref _parents, size);
            Array.Resize(ref _ids, size);
            Array.Resize(ref _starts, size);
            Array.Resize(ref _traces, size);
            Array.Resize(ref _owners, size);
        }

        _depths[node] = (byte)(_depths[parent] + 1);
        _parents[node] = parent;
        _ids[node] = id;
        _keys[slot] = key;
        _values[slot] = node;
        if (++_used * 2 > _keys.Length)
        {
            Grow();
        }

        created = true;
        return node;
    }

    /// <summary>Counts one more occurrence of the node's window in <paramref name="trace"/>.</summary>
    /// <remarks>Traces must be learnt one after the other: a trace's id marks the windows it already counted.</remarks>
    public void Increment(int node, int trace, bool atStart)
    {
        _counts[node]++;
        if (atStart)
        {
            _starts[node]++;
        }

        if (_traces[node] == 0 || _owners[node] != trace)
        {
            _traces[node] = (byte)Math.Min(_traces[node] + 1, 2);
            _owners[node] = trace;
        }
    }

    /// <summary>Adds learnt totals to a node (loading a stored model): counts and starts add up, holders combine.</summary>
    public void Add(int node, int count, int starts, int traces, int owner)
    {
        _counts[node] += count;
        _starts[node] += starts;
        if (traces > 0)
        {
            _traces[node] = (byte)Math.Min(_traces[node] + traces, 2);
            _owners[node] = owner;
        }
    }

    // Key 0 marks an empty slot: ids start at 1, so (parent, id) never packs to 0.
    private static ulong Key(int parent, int id) => ((ulong)(uint)parent << IdBits) | (uint)id;

    private int Slot(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> 32) & _mask;

    private void Grow()
    {
        ulong[] keys = _keys;
        int[] values = _values;
        _keys = new ulong[keys.Length * 2];
        _values = new int[keys.Length * 2];
        _mask = _keys.Length - 1;
        for (int i = 0; i < keys.Length; i++)
        {
            if (keys[i] != 0)
            {
                int slot = Slot(keys[i]);
                while (_keys[slot] != 0)
                {
                    slot = (slot + 1) & _mask;
                }

                _keys[slot] = keys[i];
                _values[slot] = values[i];
            }
        }
    }
}
