import { describe, expect, it } from 'vitest';
import { commands, usage } from './registry.ts';

describe('command registry', () => {
  it('lists each command once, with the summary its module declares', async () => {
    expect(new Set(commands.map((c) => c.name)).size).toBe(commands.length);
    for (const entry of commands) {
      const command = await entry.load();
      expect(command.name).toBe(entry.name);
      expect(command.summary).toBe(entry.summary);
    }
  });

  it('prints every command in the usage text', () => {
    for (const entry of commands) expect(usage()).toContain(`kyso ${entry.name}`);
  });
});
