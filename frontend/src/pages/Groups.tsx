import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { useCollection } from "@cloudscape-design/collection-hooks";
import Alert from "@cloudscape-design/components/alert";
import ButtonDropdown from "@cloudscape-design/components/button-dropdown";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import Pagination from "@cloudscape-design/components/pagination";
import SpaceBetween from "@cloudscape-design/components/space-between";
import TextFilter from "@cloudscape-design/components/text-filter";
import type { ProtectionGroup } from "../api/types";
import { ConfirmModal } from "../components/ConfirmModal";
import { EmptyState, NoMatch } from "../components/EmptyState";
import { InfoLink } from "../components/help";
import { LongText, PAGE_SIZES, ResourceTable, useTablePreferences, type Column } from "../components/ResourceTable";
import { useLoad } from "../components/hooks";
import { useBreadcrumbs, useNotify } from "../components/shell";
import { useApi, useSession } from "../session";

export function selectionText(group: ProtectionGroup): string {
  if (group.serverSelectionTags) {
    return Object.entries(group.serverSelectionTags)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ");
  }
  const count = group.sourceServerIds?.length ?? 0;
  return `${count} server${count === 1 ? "" : "s"}`;
}

const GROUP_COLUMNS: Column<ProtectionGroup>[] = [
  {
    id: "name",
    header: "Name",
    cell: (g) => <Link href={`#/protection-groups/${g.groupId}`}>{g.name}</Link>,
    sortingField: "name",
    alwaysVisible: true,
    width: 240,
  },
  { id: "description", header: "Description", cell: (g) => <LongText text={g.description} />, width: 300 },
  { id: "selection", header: "Servers", cell: (g) => <LongText text={selectionText(g)} />, width: 220 },
  { id: "id", header: "Id", cell: (g) => <LongText text={g.groupId} />, width: 320 },
];

export function GroupsPage() {
  const api = useApi();
  const { can } = useSession();
  const navigate = useNavigate();
  const notify = useNotify();
  useBreadcrumbs([{ text: "Protection groups", href: "#/protection-groups" }]);
  const groups = useLoad(() => api.groups(), []);
  const [deleting, setDeleting] = useState<ProtectionGroup | null>(null);
  const [prefs, setPrefs] = useTablePreferences("protection-groups", GROUP_COLUMNS);
  const { items, actions, collectionProps, filterProps, paginationProps, filteredItemsCount } = useCollection(
    groups.data?.items ?? [],
    {
      filtering: {
        empty: (
          <EmptyState
            title="No protection groups"
            subtitle="A protection group is a set of DRS source servers recovered together."
            action={can.administer ? <Button href="#/protection-groups/new">Create protection group</Button> : undefined}
          />
        ),
        noMatch: <NoMatch what="protection group" onClear={() => actions.setFiltering("")} />,
      },
      pagination: { pageSize: prefs.pageSize },
      sorting: { defaultState: { sortingColumn: { sortingField: "name" } } },
      selection: {},
    },
  );
  const selected = collectionProps.selectedItems?.[0];
  return (
    <SpaceBetween size="m">
      {groups.error && <Alert type="error">{groups.error.message}</Alert>}
      <ResourceTable<ProtectionGroup>
        {...collectionProps}
        data-testid="groups-table"
        variant="full-page"
        columns={GROUP_COLUMNS}
        prefs={prefs}
        onPrefsChange={setPrefs}
        pageSizes={PAGE_SIZES}
        selectionType={can.administer ? "single" : undefined}
        ariaLabels={{
          itemSelectionLabel: (_d, g) => `select ${g.name}`,
          selectionGroupLabel: "protection groups",
          tableLabel: "Protection groups",
        }}
        items={items}
        loading={groups.loading}
        loadingText="Loading protection groups"
        trackBy="groupId"
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={groups.data ? `(${groups.data.items.length})` : undefined}
            description="DRS source servers recovered together, chosen by id or by tags"
            info={<InfoLink topic="protection-group" />}
            actions={
              can.administer && (
                <SpaceBetween direction="horizontal" size="xs">
                  <ButtonDropdown
                    disabled={!selected}
                    data-testid="group-actions"
                    items={[
                      { id: "edit", text: "Edit" },
                      { id: "delete", text: "Delete" },
                    ]}
                    onItemClick={({ detail }) => {
                      if (!selected) return;
                      if (detail.id === "edit") navigate(`/protection-groups/${selected.groupId}/edit`);
                      if (detail.id === "delete") setDeleting(selected);
                    }}
                  >
                    Actions
                  </ButtonDropdown>
                  <Button variant="primary" href="#/protection-groups/new" data-testid="create-group">
                    Create protection group
                  </Button>
                </SpaceBetween>
              )
            }
          >
            Protection groups
          </Header>
        }
        filter={
          <TextFilter
            {...filterProps}
            filteringPlaceholder="Find protection groups"
            filteringAriaLabel="Find protection groups"
            countText={`${filteredItemsCount ?? 0} matches`}
          />
        }
        pagination={<Pagination {...paginationProps} />}
      />
      <ConfirmModal
        visible={deleting !== null}
        header="Delete protection group"
        confirmLabel="Delete"
        danger
        onDismiss={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await api.deleteGroup(deleting.groupId);
          notify("success", `Protection group ${deleting.name} deleted`);
          setDeleting(null);
          await groups.reload();
        }}
      >
        Delete protection group {deleting?.name}? A group used by a plan cannot be deleted.
      </ConfirmModal>
    </SpaceBetween>
  );
}
