using System.Numerics;

namespace Sysprint.Detection;

/// <summary>
/// An open-addressing map from (node, call id) to a node, the edges of <see cref="WindowTrie"/>:
/// no allocation per probe, half full at most. Key 0 marks an empty slot; ids start at 1, so
/// (node, id) never packs to 0.
/// </summary>
internal sealed class NodeTable
{
    public const int IdBits = 17;

    private ulong[] _keys;
    private int[] _values;
    private int _mask;
    private int _used;

    public NodeTable(int capacity)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity * 2, 16));
        _keys = new ulong[size];
        _values = new int[size];
        _mask = size - 1;
    }

    /// <summary>The node reached from <paramref name="node"/> by <paramref name="id"/>, or -1.</summary>
    public int Get(int node, int id)
    {
        ulong key = Key(node, id);
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

    /// <summary>The node reached by the edge, or <paramref name="created"/> when missing: then the edge leads to <paramref name="target"/>.</summary>
    public int GetOrAdd(int node, int id, int target, out bool created)
    {
        ulong key = Key(node, id);
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

        _keys[slot] = key;
        _values[slot] = target;
        if (++_used * 2 > _keys.Length)
        {
            Grow();
        }

        created = true;
        return target;
    }

    private static ulong Key(int node, int id) => ((ulong)(uint)node << IdBits) | (uint)id;

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
