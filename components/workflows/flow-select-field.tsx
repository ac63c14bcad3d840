import { SelectField } from "@/components/ui/field";

/**
 * The "Flow" filter of a list (runs, approvals): any flow, or one of the workspace's workflows.
 * `value` is a workflow id, `""` for any.
 */
export function FlowSelectField({
  value,
  onChange,
  workflows,
}: {
  value: string;
  onChange: (workflowId: string) => void;
  workflows: ReadonlyArray<{ id: string; name: string }> | undefined;
}) {
  return (
    <SelectField label="Flow" value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">Any flow</option>
      {workflows?.map((w) => (
        <option key={w.id} value={w.id}>
          {w.name}
        </option>
      ))}
    </SelectField>
  );
}
