import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { useCollection } from "@cloudscape-design/collection-hooks";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import Pagination from "@cloudscape-design/components/pagination";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import type { ProtectionGroup } from "../api/types";
import { ConfirmModal } from "../components/ConfirmModal";
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

export function GroupsPage() {
  const api = useApi();
  const { can } = useSession();
  const navigate = useNavigate();
  const notify = useNotify();
  useBreadcrumbs([{ text: "Protection groups", href: "#/protection-groups" }]);
  const groups = useLoad(() => api.groups(), []);
  const [deleting, setDeleting] = useState<ProtectionGroup | null>(null);
  const { items, collectionProps, filterProps, paginationProps, filteredItemsCount } = useCollection(
    groups.data?.items ?? [],
    {
      filtering: {
        empty: <Box textAlign="center">No protection groups yet.</Box>,
        noMatch: <Box textAlign="center">No protection group matches.</Box>,
      },
      pagination: { pageSize: 20 },
      sorting: { defaultState: { sortingColumn: { sortingField: "name" } } },
      selection: {},
    },
  );
  const selected = collectionProps.selectedItems?.[0];
  return (
    <SpaceBetween size="m">
      {groups.error && <Alert type="error">{groups.error.message}</Alert>}
      <Table
        {...collectionProps}
        data-testid="groups-table"
        variant="full-page"
        selectionType={can.administer ? "single" : undefined}
        items={items}
        loading={groups.loading}
        loadingText="Loading protection groups"
        trackBy="groupId"
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={groups.data ? `(${groups.data.items.length})` : undefined}
            description="DRS source servers recovered together, chosen by id or by tags"
            actions={
              can.administer && (
                <SpaceBetween direction="horizontal" size="xs">
                  <Button disabled={!selected} onClick={() => selected && setDeleting(selected)}>
                    Delete
                  </Button>
                  <Button
                    disabled={!selected}
                    onClick={() => selected && navigate(`/protection-groups/${selected.groupId}/edit`)}
                  >
                    Edit
                  </Button>
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
            countText={`${filteredItemsCount ?? 0} matches`}
          />
        }
        pagination={<Pagination {...paginationProps} />}
        columnDefinitions={[
          {
            id: "name",
            header: "Name",
            cell: (g) => <Link href={`#/protection-groups/${g.groupId}`}>{g.name}</Link>,
            sortingField: "name",
          },
          { id: "description", header: "Description", cell: (g) => g.description || "-" },
          { id: "selection", header: "Servers", cell: (g) => selectionText(g) },
          { id: "id", header: "Id", cell: (g) => g.groupId },
        ]}
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
