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
    public const int IdBits = 12;

    private ulong[] _keys;
    private int[] _values;
    private int _mask;
    private int _used;
    private int[] _counts;
    private byte[] _depths;

    public WindowTrie(int capacity = 1 << 16)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity * 2, 16));
        _keys = new ulong[size];
        _values = new int[size];
        _mask = size - 1;
        _counts = new int[Math.Max(capacity, 16)];
        _depths = new byte[_counts.Length];
        NodeCount = 1;
    }

    /// <summary>Nodes including the root (id 0, the empty window).</summary>
    public int NodeCount { get; private set; }

    /// <summary>How often the node's window was learnt.</summary>
    public int Count(int node) => _counts[node];

    /// <summary>The number of calls in the node's window.</summary>
    public int Depth(int node) => _depths[node];

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
            Array.Resize(ref _counts, _counts.Length * 2);
            Array.Resize(ref _depths, _depths.Length * 2);
        }

        _depths[node] = (byte)(_depths[parent] + 1);
        _keys[slot] = key;
        _values[slot] = node;
        if (++_used * 2 > _keys.Length)
        {
            Grow();
        }

        created = true;
        return node;
    }

    public void Increment(int node) => _counts[node]++;

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
