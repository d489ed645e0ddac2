// Placeholder: the workflow run domain of the Store is defined here.
export interface WorkflowRunStore {}
